"""The ways in: the FastAPI service and the ``tanhui`` command line."""
