"""The eval suite: eval sets, metrics (one evaluator per file), support judge, reports, gate."""
