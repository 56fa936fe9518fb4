"""After the round: the replay page, self-assessment, delivery metrics, charts, progress,
the exports.

A library with no web framework in it: the routes that serve it are
`server/review_pages.py`. `metrics` and `svg` are pure (numbers in, numbers or markup out);
`transcript`, `rubric` and `charts` turn the stored messages and scores (the types of
`server.messages`) into the pieces of the replay page, `view` gathers them, `progress`
builds the progress page; `stored` reads one session's review rows from the store;
`export` writes one session as a file (JSON, Markdown, WebVTT); `audio` mixes the stored
recordings into one replay track. Nothing is imported here, so that a module can use
`server.review.metrics` without pulling in the rest.
"""
