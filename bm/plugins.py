"""The plugin manager: entry-point discovery, enable/disable, and safe hook calls."""
import importlib
import logging

import pluggy
from flask import abort, current_app, flash, g, has_app_context, has_request_context, request

from . import hookspecs, jobs
from .extensions import db
from .models import PluginState

log = logging.getLogger(__name__)


class Plugins:
    """One app's plugins: the pluggy manager plus which plugins are switched on."""

    def __init__(self, app, load_entrypoints=True, extra=()):
        self.pm = pluggy.PluginManager("bm")
        self.pm.add_hookspecs(hookspecs)
        if load_entrypoints:
            self.pm.load_setuptools_entrypoints("bm.plugins")
        for plugin in extra:
            # Modules named in BM_EXTRA_PLUGINS (tests, local experiments), before blueprints mount.
            self.pm.register(importlib.import_module(plugin) if isinstance(plugin, str) else plugin)
        self.pm.check_pending()
        self.blueprint_owners = {}
        app.extensions["bm.plugins"] = self
        app.before_request(self._hide_disabled_routes)

    def installed(self):
        """Return ``[(name, plugin_object)]`` for every registered plugin, by name."""
        return sorted(self.pm.list_name_plugin(), key=lambda pair: pair[0])

    def is_enabled(self, name):
        """Return whether plugin ``name`` is enabled (plugins are enabled until switched off)."""
        return name not in self._disabled_names()

    def set_enabled(self, name, enabled):
        """Switch plugin ``name`` on or off; the caller commits."""
        state = db.session.get(PluginState, name) or PluginState(name=name)
        state.enabled = enabled
        db.session.add(state)
        if has_request_context():
            g.pop("bm_disabled_plugins", None)

    def fire(self, hook_name, **kwargs):
        """Call a lifecycle hook on every enabled plugin, each in its own savepoint.

        A plugin that raises is rolled back alone and logged; the user is warned and the
        change that fired the hook carries on.
        """
        for impl in self._enabled_impls(hook_name):
            mark = jobs.staged_jobs_mark()
            try:
                with db.session.begin_nested():
                    self._call(impl, kwargs)
            except Exception:
                jobs.drop_jobs_staged_since(mark)  # its jobs go with its rolled-back rows
                log.exception("plugin %s failed in %s", impl.plugin_name, hook_name)
                if has_request_context():
                    flash(
                        f"The {impl.plugin_name} plugin could not process this change; "
                        "your change was saved.", "warning",
                    )

    def collect(self, hook_name, **kwargs):
        """Call a UI or setup hook on every enabled plugin; return their results flattened."""
        results = []
        for impl, result in self._results(hook_name, kwargs):
            if result is None:
                continue
            results.extend(result if isinstance(result, (list, tuple)) else [result])
        return results

    def collect_by_key(self, hook_name, **kwargs):
        """Call a hook answering ``{key: [items]}`` on every enabled plugin; return the answers merged."""
        merged = {}
        for impl, result in self._results(hook_name, kwargs):
            if not isinstance(result, dict):
                log.error("plugin %s answered %s with a %s, not a dict", impl.plugin_name, hook_name,
                          type(result).__name__)
                continue
            for key, items in result.items():
                merged.setdefault(key, []).extend(items)
        return merged

    def collect_by_plugin(self, hook_name, **kwargs):
        """Like ``collect`` but return ``[(plugin_name, result)]`` (used to mount blueprints)."""
        return [(impl.plugin_name, result) for impl, result in self._results(hook_name, kwargs)]

    def first(self, hook_name, **kwargs):
        """Return the first non-None result of a hook from an enabled plugin, or None."""
        for _impl, result in self._results(hook_name, kwargs):
            if result is not None:
                return result
        return None

    def _results(self, hook_name, kwargs):
        for impl in self._enabled_impls(hook_name):
            try:
                yield impl, self._call(impl, kwargs)
            except Exception:
                log.exception("plugin %s failed in %s", impl.plugin_name, hook_name)

    def _enabled_impls(self, hook_name):
        disabled = self._disabled_names()
        caller = getattr(self.pm.hook, hook_name)
        # pluggy calls the most recently registered implementation first; so do we.
        return [impl for impl in reversed(caller.get_hookimpls()) if impl.plugin_name not in disabled]

    @staticmethod
    def _call(impl, kwargs):
        return impl.function(*[kwargs[name] for name in impl.argnames])

    def _disabled_names(self):
        if not has_app_context():
            return set()
        if has_request_context() and "bm_disabled_plugins" in g:
            return g.bm_disabled_plugins
        names = set(db.session.scalars(db.select(PluginState.name).where(PluginState.enabled.is_(False))))
        if has_request_context():
            g.bm_disabled_plugins = names
        return names

    def _hide_disabled_routes(self):
        owner = self.blueprint_owners.get((request.blueprint or "").split(".")[0])
        if owner and not self.is_enabled(owner):
            abort(404)


def current_plugins():
    """Return the current app's ``Plugins``."""
    return current_app.extensions["bm.plugins"]
