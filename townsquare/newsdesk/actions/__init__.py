"""The news desk's writes, by concern: `desk` (who may use it, the account it posts as),
`sources` (saving and polling them), `intake` (feed items becoming stories), `extraction`
(a new story's article page and lead image), `stories` (adapting, publishing, scheduling,
discarding, corrections).

Polling and extraction run in the worker; every failure there is recorded on the source's
health (or the story's note) and never stops the worker or another source. Editor actions
re-check the editor role themselves, whatever the view did.
"""
