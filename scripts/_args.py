"""Argument types for the scripts' command lines: a bad value is an argparse error (exit code 2,
the usage line, and a message naming the option, the value and what is accepted), never a failure
deep inside training."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path


def integer(low: int) -> Callable[[str], int]:
    """An argparse ``type=``: an integer >= ``low``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer (it must be an integer >= {low})") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"{value} is out of range: it must be an integer >= {low}")
        return value

    parse.__name__ = f"integer >= {low}"
    return parse


def number(low: float) -> Callable[[str], float]:
    """An argparse ``type=``: a finite number > ``low``."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number (it must be a number > {low})") from None
        if not value > low or value == float("inf"):
            raise argparse.ArgumentTypeError(f"{value} is out of range: it must be a finite number > {low}")
        return value

    parse.__name__ = f"number > {low}"
    return parse


def existing_dir(text: str) -> Path:
    """An argparse ``type=``: a folder that exists."""
    path = Path(text)
    if not path.is_dir():
        why = "is a file" if path.exists() else "does not exist"
        raise argparse.ArgumentTypeError(f"{text!r} {why}: it must be an existing folder")
    return path


def existing_file(text: str) -> Path:
    """An argparse ``type=``: a file that exists."""
    path = Path(text)
    if not path.is_file():
        why = "is a folder" if path.exists() else "does not exist"
        raise argparse.ArgumentTypeError(f"{text!r} {why}: it must be an existing file")
    return path
