"""Root conftest: puts the project root on sys.path so that benchmarks/ can share tests/'s
fixtures (``from tests.conftest import ...``)."""
