"""CircuitsVis's ``negative_color``/``positive_color`` (any CSS colour) mapped onto our colour maps.

CircuitsVis mixes each value's colour from white (at 0) to ``positive_color`` (at ``max_value``) or
``negative_color`` (at ``min_value``); its defaults are blue for positive and red for negative. Our
token views draw colour-blind-safe maps instead (``interplay.widgets._scale``): ``rdbu`` (negative
blue, white, positive red), ``puor`` (negative purple, white, positive orange) and the sequential
``blues`` (white to blue). A colour pair is honoured when its hues name one of these maps; any
other pair is refused with a :class:`~interplay.errors.ViewError` that lists the pairs we can draw.
"""

from __future__ import annotations

import colorsys
import re

from interplay.errors import ViewError

#: CSS named colours likely to be passed for a colour scale (others: use a hex or rgb() value)
NAMED = {
    "red": "#ff0000", "darkred": "#8b0000", "crimson": "#dc143c", "firebrick": "#b22222", "tomato": "#ff6347",
    "orangered": "#ff4500", "indianred": "#cd5c5c", "salmon": "#fa8072", "maroon": "#800000",
    "orange": "#ffa500", "darkorange": "#ff8c00", "coral": "#ff7f50", "chocolate": "#d2691e", "sienna": "#a0522d",
    "brown": "#a52a2a", "peru": "#cd853f",
    "yellow": "#ffff00", "gold": "#ffd700",
    "green": "#008000", "lime": "#00ff00", "darkgreen": "#006400", "seagreen": "#2e8b57", "teal": "#008080",
    "olive": "#808000",
    "cyan": "#00ffff", "aqua": "#00ffff", "turquoise": "#40e0d0",
    "blue": "#0000ff", "navy": "#000080", "darkblue": "#00008b", "mediumblue": "#0000cd", "royalblue": "#4169e1",
    "dodgerblue": "#1e90ff", "steelblue": "#4682b4", "cornflowerblue": "#6495ed", "deepskyblue": "#00bfff",
    "skyblue": "#87ceeb", "lightblue": "#add8e6", "midnightblue": "#191970",
    "purple": "#800080", "indigo": "#4b0082", "violet": "#ee82ee", "magenta": "#ff00ff", "fuchsia": "#ff00ff",
    "darkviolet": "#9400d3", "blueviolet": "#8a2be2", "rebeccapurple": "#663399", "mediumpurple": "#9370db",
    "darkmagenta": "#8b008b", "orchid": "#da70d6", "plum": "#dda0dd",
    "black": "#000000", "white": "#ffffff", "grey": "#808080", "gray": "#808080", "silver": "#c0c0c0",
}
_HEX = re.compile(r"^#([0-9a-f]{3}|[0-9a-f]{6})$", re.I)
_RGB = re.compile(r"^rgba?\(\s*([\d.]+)%?\s*[, ]\s*([\d.]+)%?\s*[, ]\s*([\d.]+)%?\s*([,/]\s*[\d.]+%?\s*)?\)$", re.I)
#: (negative family, positive family) -> our map; None = not given
PAIRS = {("blue", "red"): "rdbu", ("blue", None): "rdbu", (None, "red"): "rdbu",
         ("purple", "orange"): "puor", ("purple", None): "puor", (None, "orange"): "puor",
         (None, "blue"): "blues"}
ACCEPTED = ("negative_color='blue', positive_color='red' (our rdbu map); negative_color='purple', "
            "positive_color='orange' (puor); positive_color='blue' alone, for values >= 0 (blues); "
            "or neither (our default: rdbu for signed values, viridis otherwise)")


def rgb(css: str, name: str) -> tuple[float, float, float]:
    """A CSS colour (a common name, #rgb, #rrggbb, rgb()/rgba()) as r, g, b in [0, 1]."""
    text = css.strip().lower() if isinstance(css, str) else ""
    text = NAMED.get(text, text)
    if m := _HEX.match(text):
        digits = m.group(1)
        if len(digits) == 3:
            digits = "".join(c * 2 for c in digits)
        return tuple(int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]
    if m := _RGB.match(text):
        return tuple(min(float(m.group(i)), 255.0) / 255 for i in (1, 2, 3))  # type: ignore[return-value]
    raise ViewError(f"{name}={css!r} is not a colour we can read: pass a CSS colour name ({', '.join(sorted(NAMED)[:6])}, "
                    "...), '#rrggbb' or 'rgb(r, g, b)'")


def family(css: str, name: str) -> str:
    """The hue family of a CSS colour: red, orange, yellow, green, cyan, blue, purple or grey."""
    h, s, v = colorsys.rgb_to_hsv(*rgb(css, name))
    if s < 0.2 or v < 0.1:
        return "grey"
    deg = h * 360
    for top, fam in ((15, "red"), (50, "orange"), (70, "yellow"), (170, "green"), (190, "cyan"), (255, "blue"),
                     (345, "purple"), (360, "red")):
        if deg < top:
            return fam
    return "red"


def cmap_for(negative_color: str | None, positive_color: str | None, *, has_negative: bool) -> str:
    """Our colour map for CircuitsVis's colour pair (``"auto"`` when neither is given).
    ``has_negative``: whether negative values will be drawn (then a one-sided map cannot do)."""
    if negative_color is None and positive_color is None:
        return "auto"
    key = (None if negative_color is None else family(negative_color, "negative_color"),
           None if positive_color is None else family(positive_color, "positive_color"))
    cmap = PAIRS.get(key)
    given = ", ".join(f"{n}={c!r} ({f})" for n, c, f in (("negative_color", negative_color, key[0]),
                                                          ("positive_color", positive_color, key[1])) if c is not None)
    if cmap is None:
        raise ViewError(f"cannot draw {given}: interplay's colour maps are colour-blind safe and put positive values "
                        f"in the warm colour (CircuitsVis's default is the reverse, positive blue). Use {ACCEPTED}")
    if cmap == "blues" and has_negative:
        raise ViewError(f"cannot draw {given} with negative values on the scale (CircuitsVis would draw them in "
                        f"its default red); use {ACCEPTED}")
    return cmap
