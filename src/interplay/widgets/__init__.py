"""Thin anywidget classes. numpy only: no torch import here."""

from interplay.widgets.token_heatmap import TokenHeatmap

__all__ = ["TokenHeatmap"]
