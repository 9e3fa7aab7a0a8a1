"""The evidence items of the synthetic seizure, one module per item family.

Each item class writes its rows chunk by chunk into buffers or files the driver
(:mod:`jobs.synth.seizure`) holds, drawing from the shared :class:`~jobs.synth.state.SeizureState`
and re-writing records through :class:`~jobs.synth.persons.Persons`: :mod:`.hotel` (CSV),
:mod:`.bank` (TXT), :mod:`.courier` (XLSX), :mod:`.exchange` (JSONL), :mod:`.others` (the zip's
CSV member, the XLS, the SQL dump, the headerless TXT) and :mod:`.headers` (the header-shape items
of issue 12: Big5, full-width and role headers, nested JSON).
"""
