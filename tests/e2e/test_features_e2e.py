"""The prompt-centric feature view in real JupyterLab, on the demo model: prompt -> token -> latent ->
examples -> steer, in one output. A click on a token lists its latents, a click on a latent reaches
Python (``selected``) and opens its dashboard below (the FeatureView's ``feature`` in the kernel), the
dashboard's examples come from the dataset, and the Steer button shows the two generations that the
kernel computed. The keyboard does the same, and a token string never becomes markup."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import (
    ARTIFACTS,
    Lab,
    error_outputs,
    execute,
    open_and_run,
    python_state,
    write_notebook,
)

ROOT = ".interplay-prompt-features"
PROMPT = "When Mary and John went to the store, John gave a drink to"
XSS = "<img src=x onerror=alert(1)>"
SETUP = (
    "import json, pathlib, interplay\n"
    "from interplay.methods.features.prompt import demo_texts\n"
    "model = interplay.load()\n"
    "sae = interplay.demo_dictionary('resid_post.2')  # bundled, trained on the demo model\n"
)




def test_prompt_token_latent_examples_steer(page: Any, lab: Lab) -> None:
    state_file = lab.root / "pf_state.json"
    state_file.unlink(missing_ok=True)
    nb = write_notebook(lab, "prompt_features.ipynb", [
        SETUP,
        f"pf = interplay.features(model, {PROMPT!r}, sae, dataset=demo_texts(32))\n"
        "panel = pf.show()\n"
        "def dump(_=None):\n"
        "    fv = panel.feature_view\n"
        "    pathlib.Path('pf_state.json').write_text(json.dumps({'selected': panel.prompt_view.selected,\n"
        "        'token': panel.prompt_view.token, 'feature': None if fv is None else fv.feature,\n"
        "        'steering': None if fv is None else fv.steering}))\n"
        "panel.prompt_view.observe(dump, names=['selected', 'token'])\n"
        "panel",
    ])
    open_and_run(page, lab, nb, timeout=180)
    page.wait_for_selector(f"{ROOT} .interplay-pf-token", timeout=60_000)
    assert not error_outputs(page)
    tokens = page.locator(f"{ROOT} .interplay-pf-token")
    assert tokens.count() == 15  # BOS + 14 prompt tokens
    assert tokens.nth(10).text_content() == "␣John"
    colours = set(page.eval_on_selector_all(f"{ROOT} .interplay-pf-token", "els => els.map(e => e.style.background)"))
    assert len(colours) >= 5, "the tokens are not coloured by their activation"
    assert page.locator(f"{ROOT} .interplay-pf-message").text_content().startswith("Click a token")

    # token -> its latents (hover first: the tooltip names it)
    tokens.nth(10).hover()
    tip = page.locator(f"{ROOT} .interplay-tooltip")
    assert "pos 10" in (tip.text_content() or "")
    tokens.nth(10).click()
    latents = page.locator(f"{ROOT} button.interplay-pf-latent")
    latents.first.wait_for(timeout=10_000)
    assert latents.count() == 10
    python_state(state_file, lambda s: s["token"] == 10)
    values = [float(v) for v in page.eval_on_selector_all(
        f"{ROOT} button.interplay-pf-latent .interplay-pf-latent-value", "els => els.map(e => e.textContent)")]
    assert values == sorted(values, reverse=True) and values[0] > 0
    latent = int(latents.first.get_attribute("data-latent") or -1)

    # latent -> Python's selection and the dashboard below
    latents.first.click()
    got = python_state(state_file, lambda s: s["selected"] is not None and s["feature"] is not None)
    assert got["selected"] == {"pos": 10, "latent": latent} and got["feature"] == latent
    card = page.locator(f'.interplay-feature .interplay-feature-card[data-feature="{latent}"]')
    card.locator(".interplay-feature-top .interplay-feature-example").first.wait_for(timeout=60_000)
    assert card.locator(".interplay-feature-top .interplay-feature-example").count() >= 3
    assert f"Latent {latent} (token 10)" in (page.locator(f"{ROOT} .interplay-pf-message").text_content() or "")
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(ROOT).first.screenshot(path=str(ARTIFACTS / "prompt_features.png"))
    page.locator(".jp-OutputArea-output").filter(has=page.locator(ROOT)).last.screenshot(
        path=str(ARTIFACTS / "prompt_features_dashboard.png"))

    # steer by it, from the dashboard: the kernel's answer is what the page shows
    steer = page.locator(".interplay-feature .interplay-feature-steer")
    steer.locator("textarea.interplay-feature-steer-prompt").fill("When Mary and John went to the park, Mary gave a")
    steer.locator("select.interplay-feature-steer-mode").select_option("clamp")
    steer.locator("input.interplay-feature-steer-value").fill("60")
    steer.locator("button.interplay-feature-steer-run").click()
    steered = steer.locator(".interplay-feature-gen-steered")
    steered.wait_for(timeout=60_000)
    execute(page, "dump()")
    got = python_state(state_file, lambda s: s["steering"] is not None)
    run = got["steering"]
    assert run["latent"] == latent and run["mode"] == "clamp" and run["value"] == 60.0 and run["keep_error"]
    assert run["prompt"] == "When Mary and John went to the park, Mary gave a"
    page_text = steered.text_content() or ""
    assert "".join(run["steered_tokens"]).strip()[:12] in page_text.replace("␣", " ")
    baseline = steer.locator(".interplay-feature-gen-baseline").text_content() or ""
    assert "".join(run["baseline_tokens"]).strip()[:12] in baseline.replace("␣", " ")
    assert steer.locator("table.interplay-feature-changes tr").count() >= 3
    steer.scroll_into_view_if_needed()
    steer.screenshot(path=str(ARTIFACTS / "prompt_features_steer.png"))

    # keyboard: another token and latent, without the mouse
    root = page.locator(ROOT).first
    root.focus()
    page.keyboard.press("Home")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    python_state(state_file, lambda s: s["token"] == 2)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    second = int(page.locator(f"{ROOT} button.interplay-pf-latent").nth(1).get_attribute("data-latent") or -1)
    got = python_state(state_file, lambda s: s["selected"] == {"pos": 2, "latent": second} and s["feature"] == second)
    page.locator(f'.interplay-feature .interplay-feature-card[data-feature="{second}"]').wait_for(timeout=30_000)
    assert page.errors == []  # type: ignore[attr-defined]
    assert page.dialogs == []  # type: ignore[attr-defined]


def test_a_token_never_becomes_markup_and_a_saved_result_says_it_needs_the_model(page: Any, lab: Lab) -> None:
    nb = write_notebook(lab, "prompt_features_saved.ipynb", [
        SETUP,
        f"pf = interplay.features(model, {('Mary ' + XSS + ' John')!r}, sae)\n"
        "pf.save('pf.interplay')\n"
        "loaded = interplay.load_result('pf.interplay')\n"
        "loaded.show()",
    ])
    open_and_run(page, lab, nb, timeout=180)
    page.wait_for_selector(f"{ROOT} .interplay-pf-token", timeout=60_000)
    texts = page.eval_on_selector_all(f"{ROOT} .interplay-pf-token", "els => els.map(e => e.textContent)")
    assert "<img␣src=x␣onerror=alert(1)>" in "".join(texts), texts  # as text, split into tokens
    assert page.locator(f"{ROOT} img").count() == 0 and page.dialogs == []  # type: ignore[attr-defined]
    page.locator(f"{ROOT} .interplay-pf-token").nth(1).click()
    page.locator(f"{ROOT} button.interplay-pf-latent").first.click()
    msg = page.locator(f"{ROOT} .interplay-pf-message[data-kind='error']")
    msg.wait_for(timeout=10_000)
    assert "need a live model" in (msg.text_content() or "")
    assert page.locator(".interplay-feature").count() == 0
    assert page.errors == []  # type: ignore[attr-defined]


def test_a_saved_notebook_shows_the_prompt_view_once_the_kernel_is_gone(page: Any, lab: Lab) -> None:
    from tests.e2e.test_saved_notebook_e2e import VISIBLE, _default_widget_settings, _saved_views

    _default_widget_settings(lab)
    name = write_notebook(lab, "prompt_features_reopen.ipynb", [
        SETUP, f"interplay.features(model, {PROMPT!r}, sae).show()"])
    open_and_run(page, lab, name, timeout=180)
    page.wait_for_selector(f"{ROOT} .interplay-pf-token", timeout=60_000)
    assert page.locator("[data-interplay-fallback]").count() == 1
    assert page.eval_on_selector_all("[data-interplay-fallback]", VISIBLE) == 0  # live: only the live view shows
    path = lab.root / name
    for _ in range(50):
        page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
        page.wait_for_timeout(300)
        text = path.read_text()
        if "interplay-fallback" in text and "data-interplay-picture" in text:
            break
    else:
        raise AssertionError("the notebook was not saved with the view's saved view and picture")
    page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")
    page.wait_for_timeout(500)
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")  # no "leave page?" on reload
    page.wait_for_function("() => !window.jupyterapp.shell.currentWidget.context.model.dirty", timeout=10_000)
    page.goto(f"{lab.url}/lab/tree/{name}?reset")
    page.wait_for_selector(".jp-Notebook", timeout=60_000)
    page.wait_for_function(f"() => ({VISIBLE})([...document.querySelectorAll('[data-interplay-fallback]')]) === 1",
                           timeout=30_000)
    frame = _saved_views(page)[0]
    frame.wait_for_selector(f"{ROOT} .interplay-pf-token", timeout=30_000)
    assert frame.locator(f"{ROOT} .interplay-pf-token").count() == 15
    frame.locator(f"{ROOT} .interplay-pf-token").nth(10).click()  # the saved data lists a token's latents
    assert frame.locator(f"{ROOT} button.interplay-pf-latent").count() == 10
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("[data-interplay-fallback]").first.screenshot(path=str(ARTIFACTS / "prompt_features_saved.png"))
