"""The GitHub release page of a tag: notes, milestone link, every asset.

Safe to re-run and to run twice at once:

- The release for the tag is found by *listing* releases, because GitHub's
  get-by-tag endpoint hides drafts. A new release is always created as a
  draft; after creating it we list again and converge on one release per tag
  (a published one if any, else the oldest draft), deleting only a draft this
  run created.
- Assets are uploaded when missing, skipped when an asset of that name has
  the same size and sha256 (GitHub's ``digest``; the bytes are downloaded and
  hashed when an older asset has none), replaced only with ``overwrite``.
  Uploads run in parallel, each worker with its own client (PyGithub's
  requester keeps per-request state on a shared connection object, so one
  client must not be used from several threads), and are retried with
  exponential backoff on 5xx answers and connection resets; a half-made
  ``starter`` asset a failed upload left behind is deleted first.
- Publishing is the last write, so a repository with immutable releases
  never sees an asset added after the release is locked.

The token never appears in a message: errors quote GitHub's message, never
request headers.

Three modules: ``model`` (the request, the result, the body and the Markdown
preview; pure, so a preview or the rehearsal loads no GitHub client),
``assets`` (what to upload, replace or keep, and the uploads) and ``make``
(``make_release``, its steps against the API). This package re-exports the
model only; ``make_release`` is imported from ``make`` where it is used.
"""

from __future__ import annotations

from .model import MilestoneInfo, Request, Result, check_files, compose_body, render_preview

__all__ = ["MilestoneInfo", "Request", "Result", "check_files", "compose_body", "render_preview"]
