"""Thin anywidget views over result data: ``XView(data, source=None)``. numpy, traitlets and
anywidget only (never torch, the backend or a method); each view module declares the small protocol
its drill-downs may ask a live source."""
