"""The workbench's pages, one module per resource."""
