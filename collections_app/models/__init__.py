from .access import AccessGrant, ContentRead, OpeningBasis, OpeningRule, ReadMethod
from .archives import NATIONAL_ADMIN_GROUP, Archive, ArchiveRole, Role, fold_slug
from .description import Category, Document, Fonds, RecordFile, Series
from .digital import (
    DigitalObject,
    OcrMode,
    PageTextRevision,
    ProcessingStage,
    ProcessingState,
    QualityCheck,
    ScanPage,
    TextSource,
)
from .digitization import (
    NATIONAL_DIGITIZATION_DEADLINE,
    BatchStatus,
    DigitizationBatch,
    DigitizationPlan,
    ImportJob,
    ImportStatus,
)
from .events import AliasReason, ReferenceAlias
from .preservation import EventOutcome, EventType, PreservationEvent
from .transfers import (
    HandoverRecord,
    HandoverStatus,
    InformationPackage,
    MergeRun,
    MergeStatus,
    MergeStep,
    MergeStepStatus,
    PackageDirection,
    PackageKind,
)
from .units import AdministrativeUnit, UnitChange, UnitChangeKind, UnitKind, UnitLevel

DESCRIPTION_MODELS = (Fonds, Series, RecordFile, Document)

__all__ = [
    "EventOutcome",
    "EventType",
    "HandoverRecord",
    "HandoverStatus",
    "InformationPackage",
    "MergeRun",
    "MergeStatus",
    "MergeStep",
    "MergeStepStatus",
    "PackageDirection",
    "PackageKind",
    "PreservationEvent",
    "AccessGrant",
    "ContentRead",
    "OpeningBasis",
    "OpeningRule",
    "ProcessingStage",
    "ReadMethod",
    "NATIONAL_DIGITIZATION_DEADLINE",
    "BatchStatus",
    "DigitalObject",
    "DigitizationBatch",
    "DigitizationPlan",
    "ImportJob",
    "ImportStatus",
    "OcrMode",
    "PageTextRevision",
    "ProcessingState",
    "QualityCheck",
    "ScanPage",
    "TextSource",
    "DESCRIPTION_MODELS",
    "NATIONAL_ADMIN_GROUP",
    "AdministrativeUnit",
    "AliasReason",
    "Archive",
    "ArchiveRole",
    "Category",
    "Document",
    "Fonds",
    "RecordFile",
    "ReferenceAlias",
    "Role",
    "Series",
    "UnitChange",
    "UnitChangeKind",
    "UnitKind",
    "UnitLevel",
    "fold_slug",
]
