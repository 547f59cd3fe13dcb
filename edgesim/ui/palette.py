"""State colours, shared by the timeline and (as CSS variables in static/dashboard.css, kept in
step by a test) the dashboard, so a state looks the same in every picture."""

INSTANCE = {
    "RUNNING": "#2f9e44",
    "PENDING_CREATE": "#f2b705",
    "CREATE_FAIL": "#e8590c",
    "FAILED": "#e03131",
    "SUCCEEDED": "#1c7ed6",
    "TERMINATING": "#9775fa",
    "PENDING_DELETE": "#9775fa",
    "DELETE_FAILED": "#862e9c",
    "UNKNOWN": "#495057",
    "FREEZE": "#4263eb",
}
RUNNING_NOT_READY = "#a9e34b"

NODE = {
    "RUNNING": "#2f9e44",
    "UNCONNECTED": "#adb5bd",
    "FAIL": "#e03131",
    "STOPPED": "#495057",
    "UPGRADING": "#1c7ed6",
    "FREEZE": "#4263eb",
}
OTHER = "#868e96"  # a state this palette does not know yet


def instance_colour(state: str, ready: bool) -> str:
    if state == "RUNNING" and not ready:
        return RUNNING_NOT_READY
    return INSTANCE.get(state, OTHER)


def node_colour(state: str) -> str:
    return NODE.get(state, OTHER)
