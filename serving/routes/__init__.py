"""The API's routers, one per resource: operations (health), the served model, scoring."""
