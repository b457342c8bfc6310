# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubemagic maintainers
# Apache License 2.0 (see LICENSE at the collection root or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0

from __future__ import annotations

DOCUMENTATION = r"""
---
name: site
short_description: The hosts, groups and variables of a kubemagic site's inventory
version_added: "0.1.0"
description:
  - Reads one inventory of a kubemagic site (the folder holding C(kubemagic.yml),
    C(custom/), C(kubespray/), C(ceph-ansible/), C(openshift-ansible/)) with the
    kubemagic engine, which reads inventories exactly as ansible-core does, and
    gives Ansible its hosts, its groups with their children, and every host's
    variables (group_vars and host_vars already applied, in Ansible's order of
    precedence).
  - "The source is a YAML file whose name ends in C(.kubemagic.yml) or
    C(.kubemagic.yaml) with C(plugin: kubemagic.core.site)."
  - The variables are set on the hosts, not on the groups, so that Ansible
    cannot re-order precedence the engine has already applied; C(group_vars)
    and C(host_vars) beside the source file or the playbook still apply on top,
    as for any inventory source.
  - Strings marked C(!unsafe) in the site's files arrive as plain strings.
extends_documentation_fragment:
  - inventory_cache
options:
  plugin:
    description: Marks the file as a source for this plugin.
    required: true
    type: str
    choices: [kubemagic.core.site]
  path:
    description:
      - The site directory. A relative path is relative to the directory of
        the source file (not the working directory); C(~) is expanded.
    required: true
    type: str
  inventory:
    description:
      - Which of the site's inventories to read. The default is the one that
        deploys Kubernetes for the site's flavor (C(flavor) in
        C(kubemagic.yml)) - C(kubespray) for kubespray sites,
        C(openshift-ansible) for openshift sites.
    type: str
    choices: [kubespray, ceph-ansible, openshift-ansible, custom]
requirements:
  - kubemagic (the Python module from the kubemagic repository, installed for the Python running Ansible)
author:
  - kubemagic maintainers (@kubemagic)
"""

EXAMPLES = r"""
# utgb.kubemagic.yml: the kubespray inventory of the utgb site
plugin: kubemagic.core.site
path: /srv/sites/utgb

# utgb-ceph.kubemagic.yaml: its ceph-ansible inventory, cached for an hour
# plugin: kubemagic.core.site
# path: ../sites/utgb
# inventory: ceph-ansible
# cache: true
# cache_plugin: ansible.builtin.jsonfile
# cache_connection: /tmp/kubemagic-inventory-cache
# cache_timeout: 3600
"""

import os
import re

from ansible.errors import AnsibleError, AnsibleParserError
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable

try:
    import kubemagic

    HAS_KUBEMAGIC = True
except ImportError:
    kubemagic = None
    HAS_KUBEMAGIC = False

SUFFIXES = (".kubemagic.yml", ".kubemagic.yaml")
# The inventory that deploys Kubernetes, by site flavor.
FLAVOR_INVENTORY = {"kubespray": "kubespray", "openshift": "openshift-ansible"}


def option_line(path, option):
    """The 1-based line of top-level ``option:`` in the source file, or None."""
    try:
        with open(path, encoding="utf-8") as f:
            for number, text in enumerate(f, start=1):
                if re.match(r"%s\s*:" % re.escape(option), text):
                    return number
    except (OSError, UnicodeDecodeError):
        return None
    return None


def where(file, line):
    """``file:line`` (or just the file) for an error message."""
    if file is None:
        return None
    return "%s:%s" % (file, line) if line is not None else str(file)


class InventoryModule(BaseInventoryPlugin, Cacheable):
    """Hosts, groups and host variables of a kubemagic site's inventory."""

    NAME = "kubemagic.core.site"
    # The variables come from the site's inventory and vars files, which
    # Ansible's own ini/yaml plugins and group_vars trust as templates too.
    trusted_by_default = True

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith(SUFFIXES)

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        if not HAS_KUBEMAGIC:
            raise AnsibleParserError(
                "%s: the kubemagic.core.site plugin needs the kubemagic Python module "
                "for the Python running Ansible (pip install the wheel built by "
                "`make wheel` in the kubemagic repository)" % path
            )
        try:
            self._read_config_data(path)
        except AnsibleError as e:
            # Option errors name the option but not where it is written.
            named = re.search(r"""(?:option|config) ["']?([A-Za-z_]+)""", to_native(e))
            line = option_line(path, named.group(1)) if named else None
            raise AnsibleParserError("%s: %s" % (where(path, line), to_native(e)))

        cache_key = self.get_cache_key(path)
        use_cache = self.get_option("cache")
        data = None
        if use_cache and cache:
            try:
                data = self._cache[cache_key]
            except KeyError:
                data = None
        if data is None:
            data = self._read_site(path)
            if use_cache:
                self._cache[cache_key] = data
        self._populate(data)

    def _site_error(self, path, error):
        """An AnsibleParserError naming FILE:LINE of what kubemagic could not read."""
        location = where(getattr(error, "file", None), getattr(error, "line", None))
        message = to_native(error)
        if location and location not in message:
            message = "%s: %s" % (location, message)
        return AnsibleParserError("%s: %s" % (path, message))

    def _read_site(self, path):
        """The ``ansible-inventory --list`` document of the chosen inventory."""
        site = os.path.expanduser(self.get_option("path"))
        if not os.path.isabs(site):
            site = os.path.join(os.path.dirname(os.path.abspath(path)), site)
        try:
            found = kubemagic.site_inventories(site)
        except (kubemagic.Error, OSError, ValueError) as e:
            raise self._site_error(path, e)
        kind = self.get_option("inventory") or FLAVOR_INVENTORY.get(found["flavor"], "kubespray")
        source = found["inventories"].get(kind)
        if source is None:
            line = option_line(path, "inventory") or option_line(path, "path")
            raise AnsibleParserError(
                "%s: site %s has no %s inventory (it has: %s)"
                % (where(path, line), site, kind, ", ".join(found["inventories"]) or "none")
            )
        try:
            return kubemagic.Inventory.load(source).to_ansible_list()
        except (kubemagic.Error, OSError, ValueError) as e:
            raise self._site_error(path, e)

    def _populate(self, data):
        """Adds the groups, their children and hosts, and the host variables."""
        hostvars = data.get("_meta", {}).get("hostvars", {})
        groups = [name for name in data if name != "_meta"]
        for name in groups:
            self.inventory.add_group(name)
        for name in groups:
            entry = data[name] or {}
            for host in entry.get("hosts", []):
                self.inventory.add_host(host, group=name)
            for child in entry.get("children", []):
                self.inventory.add_group(child)
                self.inventory.add_child(name, child)
        for host, variables in hostvars.items():
            self.inventory.add_host(host)
            for key, value in variables.items():
                self.inventory.set_variable(host, key, value)
