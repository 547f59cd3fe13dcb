"""What the engine refuses, in domain words; the API layer maps each to an IEF error code."""


class DomainError(Exception):
    """Base for refusals; ``field`` names the request field at fault, when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    """The resource named in the path does not exist in this project."""


class ReferenceNotFound(DomainError):
    """A resource named in the request body does not exist in this project."""


class DuplicateName(DomainError):
    """Another resource of the project already has this name."""


class NotAllowed(DomainError):
    """The resource's state does not allow this operation now."""


class InUse(DomainError):
    """The resource is still used (a node running instances, a group with deployments)."""


class QuotaExceeded(DomainError):
    """The project's quota for this kind of resource is used up."""


class NoRoom(DomainError):
    """No node can take the instance now (group deployments are refused at create time)."""
