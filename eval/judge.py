"""The support judge the eval suite scores with: the library's own (`rag.support`), so the
eval measures exactly the check the generative answerer applies. `Passage` is its old name
for `Evidence`."""

from rag.support import Evidence, SupportJudge, Verdict, anchors

Passage = Evidence

__all__ = ["Evidence", "Passage", "SupportJudge", "Verdict", "anchors"]
