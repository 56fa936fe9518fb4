"""After the round: the replay page, self-assessment, delivery metrics, charts, progress.

`metrics` and `svg` are pure (numbers in, numbers or markup out); `view` turns stored rows
into what the templates show; `routes` holds the pages and JSON routes; `audio` mixes the
stored recordings into one replay track. Nothing is imported here, so that the storage
export can use `server.review.metrics` without pulling in the web routes.
"""
