"""The page's look (CSS) and its two small scripts (citation clicks, scrolling to the quote)."""

from __future__ import annotations

# System fonts: the default Gradio themes fetch Google Fonts, and the page must work offline.
THEME_FONTS = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "sans-serif"]

# Citations live in the chat and in the sources panel; one listener on the document catches clicks
# on any of them and hands the cited span to the sources panel's `click` event (Python opens it).
CITE_JS = r"""
window.__ragOpenCitation = (data) => trigger('click', data);
if (!window.__ragCiteListener) {
  window.__ragCiteListener = true;
  const open = (ev) => {
    const el = ev.target && ev.target.closest ? ev.target.closest('.rag-cite') : null;
    if (!el) return;
    if (ev.type === 'keydown' && ev.key !== 'Enter' && ev.key !== ' ') return;
    ev.preventDefault();
    ev.stopPropagation();
    document.querySelectorAll('.rag-cite.rag-active').forEach((a) => a.classList.remove('rag-active'));
    el.classList.add('rag-active');
    const m = /#rag-cite\/(\d+)\/(\d+)\/(.+)$/.exec(el.getAttribute('href') || '');
    if (m) window.__ragOpenCitation({article: decodeURIComponent(m[3]), start: Number(m[1]),
                                     end: Number(m[2])});
  };
  document.addEventListener('click', open, true);
  document.addEventListener('keydown', open, true);
}
"""

# When an article opens, bring the highlighted sentence into view inside the viewer box.
VIEWER_JS = """
watch('value', () => {
  const mark = element.querySelector('mark.rag-mark');
  const box = element.querySelector('.rag-article-text');
  if (mark && box) box.scrollTop = mark.offsetTop - box.offsetTop - box.clientHeight / 3;
  if (mark) element.scrollIntoView({block: 'nearest', behavior: 'smooth'});
});
"""

CSS = """
.gradio-container { max-width: 1280px !important; margin: 0 auto; }
#rag-header { align-items: flex-end; gap: 12px; padding: 4px 2px 0; }
.rag-title { font-size: 1.7rem; font-weight: 750; letter-spacing: -0.01em; }
.rag-subtitle { color: var(--body-text-color-subdued); margin-top: 2px; }
.rag-stats { text-align: right; color: var(--body-text-color-subdued); font-size: 0.92rem; }
.rag-panel-title { font-weight: 650; font-size: 0.95rem; text-transform: uppercase;
  letter-spacing: 0.04em; color: var(--body-text-color-subdued); margin: 4px 0 2px; }

.rag-question { white-space: pre-wrap; }
.rag-answer .rag-short { font-weight: 700; font-size: 1.08rem; margin-bottom: 4px; }
.rag-answer .rag-body { line-height: 1.55; }
.rag-pending { color: var(--body-text-color-subdued); font-style: italic; }
.rag-query { margin-top: 6px; font-size: 0.85rem; color: var(--body-text-color-subdued); }
.rag-refusal { border-left: 4px solid #f59e0b; background: rgba(245, 158, 11, 0.13);
  padding: 8px 12px; border-radius: 6px; }
.rag-refusal-title { font-weight: 700; color: #b45309; margin-bottom: 2px; }
.rag-draft-label { font-size: 0.8rem; font-style: normal; text-transform: uppercase; letter-spacing: 0.04em; }
.rag-warning { margin: 6px 0; padding: 6px 10px; border-radius: 6px; background: #fef3c7; color: #92400e;
  font-size: 0.9rem; }
.rag-notice { margin-top: 6px; font-size: 0.88rem; color: #92400e; }
.rag-backend { margin-top: 6px; font-size: 0.8rem; color: var(--body-text-color-subdued); }
.rag-removed { margin-top: 6px; font-size: 0.85rem; color: var(--body-text-color-subdued); }
.rag-removed del { text-decoration-color: #b91c1c; }
.rag-unverified { background: rgba(220, 38, 38, 0.12); border-bottom: 2px dotted #b91c1c; }

a.rag-cite { text-decoration: none !important; cursor: pointer; }
a.rag-cite sup { font-weight: 700; color: var(--color-accent); padding: 0 2px; font-size: 0.8em; }
a.rag-cite:hover sup, a.rag-cite.rag-active sup { text-decoration: underline; }

.rag-sources-empty, .rag-viewer-empty { color: var(--body-text-color-subdued); font-size: 0.92rem;
  border: 1px dashed var(--border-color-primary); border-radius: 8px; padding: 12px; }
.rag-card { border: 1px solid var(--border-color-primary); border-radius: 10px; padding: 10px 12px;
  margin-bottom: 8px; background: var(--background-fill-secondary); }
.rag-card-title { font-weight: 650; line-height: 1.3; }
.rag-meta { font-size: 0.82rem; color: var(--body-text-color-subdued); margin: 2px 0 6px;
  overflow-wrap: anywhere; }
.rag-card a.rag-cite { display: flex; gap: 8px; align-items: flex-start; color: inherit; text-align: left;
  padding: 6px; border-radius: 8px; }
.rag-card a.rag-cite:hover, .rag-card a.rag-cite.rag-active { background: var(--background-fill-primary); }
.rag-n { flex: none; min-width: 1.5em; height: 1.5em; border-radius: 999px; text-align: center;
  font-size: 0.8rem; font-weight: 700; line-height: 1.5em; color: white;
  background: var(--color-accent); }
.rag-quote { font-style: italic; line-height: 1.45; }

.rag-article-text { white-space: pre-wrap; line-height: 1.55; max-height: 380px; overflow-y: auto;
  border-top: 1px solid var(--border-color-primary); padding-top: 8px; }
mark.rag-mark { background: #fde68a; color: #1f2937; padding: 1px 2px; border-radius: 3px; }
.rag-note, .rag-note p { font-size: 0.85rem !important; color: var(--body-text-color-subdued); }
#rag-settings .timebox { display: flex; }  /* keep the calendar button inside its box */
#rag-settings .timebox input { min-width: 0; flex: 1 1 auto; }
#rag-help { color: var(--body-text-color-subdued); font-size: 0.9rem; }
"""
