"""Reading a project's versions and files from a package index, in one request.

The source is the Simple API (``{index}/simple/NAME/``), served by PyPI and by
mirrors (devpi, Artifactory, caching proxies) alike:

- its JSON form (PEP 691, asked for with ``Accept:
  application/vnd.pypi.simple.v1+json``): ``files`` with ``filename``,
  ``url``, ``hashes``, ``yanked`` (a bool or the reason); PEP 700 adds
  ``versions`` (every version, those without files too), ``size`` and
  ``upload-time``; PEP 740 adds ``provenance``, the Integrity API URL of a
  file's attestations;
- its HTML form (PEP 503), from an index that serves nothing else: anchors
  whose ``href`` ends in ``#sha256=…``, with ``data-yanked`` and
  ``data-provenance``.

Files are assigned to versions by their names (wheel and sdist rules). Where
the Simple API lacks something the audit needs (a file's sha256, upload times
for ``--since DATE``, a file name that names no version, the Simple API
itself), the JSON API's project document (``{index}/pypi/NAME/json``, its
``releases``) fills in, once, and the result says so in ``notes``.

``model`` holds what is read (files, releases, the project) and the file-name
rules; ``client`` reads it.
"""

from __future__ import annotations

from .client import (
    DEFAULT_INDEX,
    INTEGRITY_ACCEPT,
    NOTE_FALLBACK,
    NOTE_FALLBACK_FAILED,
    NOTE_HTML,
    NOTE_JSON_ONLY,
    NOTE_NO_VERSIONS,
    NOTE_UNASSIGNED,
    SIMPLE_ACCEPT,
    SIMPLE_JSON,
    IndexClient,
    content_type,
    describe,
    select_version,
)
from .model import (
    IndexFile,
    IndexProject,
    IndexRelease,
    packagetype,
    parse_time,
    version_key,
    version_of,
)

__all__ = [
    "DEFAULT_INDEX", "INTEGRITY_ACCEPT", "NOTE_FALLBACK", "NOTE_FALLBACK_FAILED", "NOTE_HTML",
    "NOTE_JSON_ONLY", "NOTE_NO_VERSIONS", "NOTE_UNASSIGNED", "SIMPLE_ACCEPT", "SIMPLE_JSON",
    "IndexClient", "IndexFile", "IndexProject", "IndexRelease", "content_type", "describe",
    "packagetype", "parse_time", "select_version", "version_key", "version_of",
]  # fmt: skip
