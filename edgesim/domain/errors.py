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


class Unsupported(DomainError):
    """A valid request for something the simulator does not offer yet."""
