"""The wire format: round trips, colour limits, quantisation, and the message-size limit."""

from __future__ import annotations

import numpy as np
import pytest

from interplay.widgets._serialize import color_limits, decode_array, encode_array, quantize_u8


def test_round_trip_non_square_float32() -> None:
    arr = np.arange(15, dtype=np.float32).reshape(3, 5) - 7
    p = encode_array(arr, ["row", "pos"])
    assert p["shape"] == [3, 5] and p["dims"] == ["row", "pos"] and p["dtype"] == "float32"
    assert isinstance(p["data"], memoryview) and p["data"].nbytes == 15 * 4
    np.testing.assert_array_equal(decode_array(p), arr)
    assert (p["vmin"], p["vmax"]) == (-7.0, 7.0)


def test_float64_and_bool_are_converted() -> None:
    assert encode_array(np.ones((2, 2)), ["a", "b"])["dtype"] == "float32"
    assert encode_array(np.ones((2, 2), bool), ["a", "b"])["dtype"] == "uint8"
    assert encode_array(np.ones(3, np.int64), ["a"])["dtype"] == "int32"


def test_limits_ignore_nan_and_are_symmetric_with_center() -> None:
    arr = np.array([np.nan, -1.0, 3.0])
    assert color_limits(arr) == (-1.0, 3.0)
    assert color_limits(arr, center=0.0) == (-3.0, 3.0)
    assert color_limits(np.array([np.nan])) == (None, None)
    assert color_limits(np.array([2.0, 2.0])) == (1.5, 2.5)
    p = encode_array(np.full((2, 2), np.nan, np.float32), ["a", "b"])
    assert p["vmin"] is None and p["vmax"] is None


def test_u8_linear_quantisation_keeps_nan_and_is_close() -> None:
    arr = np.linspace(-2, 2, 24).reshape(4, 6)
    arr[0, 5] = np.nan
    p = encode_array(arr, ["q", "k"], encoding="u8-linear")
    assert p["dtype"] == "uint8" and p["data"].nbytes == 24
    back = decode_array(p)
    assert np.isnan(back[0, 5])
    finite = ~np.isnan(arr)
    assert np.max(np.abs(back[finite] - arr[finite])) <= 4 / 254 / 2 + 1e-6
    assert quantize_u8(np.array([-10.0, 10.0]), 0.0, 1.0).tolist() == [0, 254]


def test_errors_name_the_problem() -> None:
    with pytest.raises(ValueError, match=r"2 axes \(2, 3\) but dims names 1"):
        encode_array(np.zeros((2, 3)), ["pos"])
    with pytest.raises(ValueError, match="exceeds the 8 MiB message limit"):
        encode_array(np.zeros((1100, 2000), np.float32), ["a", "b"])
    with pytest.raises(ValueError, match="unknown encoding"):
        encode_array(np.zeros(2), ["a"], encoding="png")  # type: ignore[arg-type]
