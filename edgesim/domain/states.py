"""Instance and node states, in the words of the IEF API.

Internal states are the v2 words; v3 differs only in calling PENDING_CREATE "PENDING".
"""

from enum import StrEnum


class InstanceState(StrEnum):
    PENDING_CREATE = "PENDING_CREATE"
    RUNNING = "RUNNING"
    FAILED = "FAILED"
    CREATE_FAIL = "CREATE_FAIL"
    SUCCEEDED = "SUCCEEDED"
    TERMINATING = "TERMINATING"
    PENDING_DELETE = "PENDING_DELETE"
    DELETE_FAILED = "DELETE_FAILED"
    UNKNOWN = "UNKNOWN"
    FREEZE = "FREEZE"

    def v3(self) -> str:
        return "PENDING" if self is InstanceState.PENDING_CREATE else self.value


class NodeState(StrEnum):
    UNCONNECTED = "UNCONNECTED"
    RUNNING = "RUNNING"
    FAIL = "FAIL"
    STOPPED = "STOPPED"
    UPGRADING = "UPGRADING"
    FREEZE = "FREEZE"


class DeploymentState(StrEnum):
    """Deployment-level states; only set while something unusual is going on."""

    PENDING_DELETE = "PENDING_DELETE"
    DELETE_FAILED = "DELETE_FAILED"
    FREEZE = "FREEZE"
