"""The reviewers' workbench: server-rendered pages under ``/workbench/`` in zh-CN and English.

Officers and analysts sign in with a personal API key (``auth``), read decisions and their
reasons, record outcomes, weigh evidence, write control instructions and risk warnings,
and follow the model. Pages are Jinja2 templates (``templates/``); their words come from
Babel message catalogues (``locales/``), domain labels from the domain's catalogues.
"""
