"""Errors casefile raises. Messages name files, rows and datasets, never record values."""


class CasefileError(Exception):
    """Base class of every casefile error."""


class ConfigError(CasefileError):
    """A configuration file or value is missing or invalid."""


class EvidenceIntegrityError(CasefileError):
    """An original evidence item changed after registration (its SHA-256 no longer matches)."""


class LedgerError(CasefileError):
    """The record ledger of a stage does not balance: rows were lost or invented."""


class ValidationFailed(CasefileError):
    """A Great Expectations suite failed; the message names the suite and the failing counts."""


class StageNotCommitted(CasefileError):
    """A stage's input (the committed output of the stage before it) does not exist."""


class InjectedFault(CasefileError):
    """A failure injected by configuration (``fault_injection.fail_stage``) for rerun drills."""


class StorageError(CasefileError):
    """The object store failed an operation after every retry (the message names the object)."""


class TransferIntegrityError(StorageError):
    """The bytes that arrived differ from the bytes sent: a hash mismatch after an upload or download."""
