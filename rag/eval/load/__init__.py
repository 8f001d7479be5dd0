"""`rag load`: a load test of `rag serve` with locust (locustfile.py), its runner (run.py) and the
locust-free client helpers both use (client.py)."""
