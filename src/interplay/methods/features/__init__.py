"""Features: sparse dictionaries' metrics and training, max-activating examples at dataset scale, a
prompt's active latents, and steering by one latent."""
