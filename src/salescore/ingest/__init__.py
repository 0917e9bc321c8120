"""Ingest: read any CRM export, map it to a canonical table, clean, validate and upsert it.

The modules, in the order an import goes through them: :mod:`~salescore.ingest.readers` (CSV,
Excel, Parquet, JSON, NDJSON into Arrow, with row numbers; :mod:`~salescore.ingest.encoding`),
:mod:`~salescore.ingest.mapping` and :mod:`~salescore.ingest.transform` (mapping specs and
applying them), :mod:`~salescore.ingest.cleaning` (text to typed values),
:mod:`~salescore.ingest.validation` (checks from the table declaration),
:mod:`~salescore.ingest.loading` (one-transaction upsert), :mod:`~salescore.ingest.importer`
(the whole import). Then :mod:`~salescore.ingest.quality` (the data quality report) and
:mod:`~salescore.ingest.export`.
"""

from __future__ import annotations

from salescore.ingest.export import EXPORT_FORMATS, export_table
from salescore.ingest.importer import (
    ImportOptions,
    ImportResult,
    Progress,
    import_arrow,
    import_file,
    import_source,
)
from salescore.ingest.mapping import (
    MappingSpec,
    load_mapping,
    load_preset,
    parse_mapping,
    preset_names,
)
from salescore.ingest.problems import IngestError, Reason
from salescore.ingest.quality import QualityReport, quality_report
from salescore.ingest.readers import ReadOptions, read_source

__all__ = [
    "EXPORT_FORMATS", "ImportOptions", "ImportResult", "IngestError", "MappingSpec", "Progress",
    "QualityReport", "ReadOptions", "Reason", "export_table", "import_arrow", "import_file",
    "import_source", "load_mapping", "load_preset", "parse_mapping", "preset_names",
    "quality_report", "read_source",
]
