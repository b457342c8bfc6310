#!/usr/bin/env python3
"""Batch oracle: runs ansible-core's own ansible-inventory code on many cases
in one Python process (starting Python and importing Ansible costs ~0.7 s,
which per case would make the differential suite take many minutes).

Reads a JSON list of jobs on stdin:
  {"id": str, "sources": [abs paths], "playbook_dir": abs path | null,
   "list": bool, "export": bool, "hosts": [names] | "all",
   "graph": [groups], "graph_vars": bool, "patterns": [str]}
Writes a JSON list of results on stdout:
  {"id", "list": text, "export": text, "host": {name: text},
   "graph": {group: text}, "graph_vars": {group: text},
   "patterns": {pattern: [hosts] | {"error": msg}}, "error": msg | null,
   "warnings": [text]}
Texts are exactly what ansible-inventory prints (minus display's newline).
Run from an empty working directory: Ansible reads ./group_vars from it.
Set ANSIBLE_HASH_BEHAVIOUR in the environment for merge cases.
"""
import io
import json
import os
import sys
import contextlib


def main():
    jobs = json.load(sys.stdin)
    real_stdout = sys.stdout
    # Keep Ansible's own chatter (warnings go to stderr) out of our JSON.
    sys.stdout = sys.stderr
    from ansible.cli.inventory import InventoryCLI
    from ansible.inventory.manager import InventoryManager
    from ansible.utils.display import Display

    from ansible.cli import CLI
    from ansible.plugins.loader import init_plugin_loader

    init_plugin_loader([])  # what CLI.cli_executor does before run()
    from ansible.parsing.dataloader import DataLoader
    from ansible.vars.manager import VariableManager

    from ansible import context
    from ansible.utils.context_objects import CLIArgs

    # GlobalCLIArgs is a process-wide singleton that keeps the first job's
    # options; give each parse its own arguments instead.
    context._init_global_context = lambda options: setattr(
        context, "CLIARGS", CLIArgs.from_options(options))

    display = Display()
    state = {}
    results = []
    for job in jobs:
        res = {"id": job["id"], "error": None, "warnings": []}
        warnings = []
        orig_warning = display.warning

        def capture(msg, *a, **kw):
            warnings.append(str(msg))

        display.warning = capture
        orig_err = getattr(display, "error_as_warning", None)
        if orig_err is not None:
            display.error_as_warning = lambda msg, exception=None, *a, **kw: warnings.append(
                "%s %s" % (msg, exception))
        try:
            args = ["ansible-inventory"]
            for s in job["sources"]:
                args += ["-i", s]
            if job.get("playbook_dir"):
                args += ["--playbook-dir", job["playbook_dir"]]

            shared = {}

            def cli_for(extra):
                cli = InventoryCLI(args + extra)
                cli.parse()
                if not state.get("primed"):
                    # The first call initialises Ansible's process-wide
                    # contexts (vault secrets, plugin loader) exactly once.
                    cli.loader, cli.inventory, cli.vm = cli._play_prereqs()
                    state["primed"] = True
                    shared.update(loader=cli.loader, inventory=cli.inventory, vm=cli.vm)
                elif not shared:
                    loader = DataLoader()
                    if job.get("playbook_dir"):
                        loader.set_basedir(job["playbook_dir"])
                    inventory = InventoryManager(loader=loader, sources=job["sources"])
                    vm = VariableManager(loader=loader, inventory=inventory,
                                         version_info=CLI.version_info(gitinfo=False))
                    shared.update(loader=loader, inventory=inventory, vm=vm)
                cli.loader, cli.inventory, cli.vm = shared["loader"], shared["inventory"], shared["vm"]
                return cli

            cli = cli_for(["--list"])
            if job.get("list", True):
                top = cli._get_group("all")
                res["list"] = cli.dump(cli.json_inventory(top))
            if job.get("export"):
                ecli = cli_for(["--list", "--export"])
                res["export"] = ecli.dump(ecli.json_inventory(ecli._get_group("all")))
            cli = cli_for(["--list"])  # --export above changed CLIARGS
            hosts = job.get("hosts", [])
            if hosts == "all":
                hosts = [h.name for h in cli.inventory.get_hosts("all")]
            res["host"] = {}
            for h in hosts:
                found = cli.inventory.get_hosts(h)
                if len(found) != 1:
                    res["host"][h] = None
                    continue
                res["host"][h] = cli.dump(cli._get_host_variables(host=found[0]))
            res["graph"] = {}
            res["graph_vars"] = {}
            for g in job.get("graph", []):
                gcli = cli_for(["--graph", g])
                try:
                    res["graph"][g] = gcli.inventory_graph()
                except Exception as e:  # noqa: BLE001 - reported to the test
                    res["graph"][g] = {"error": str(e)}
                if job.get("graph_vars"):
                    vcli = cli_for(["--graph", "--vars", g])
                    try:
                        res["graph_vars"][g] = vcli.inventory_graph()
                    except Exception as e:  # noqa: BLE001
                        res["graph_vars"][g] = {"error": str(e)}
            res["patterns"] = {}
            for p in job.get("patterns", []):
                inv = InventoryManager(loader=cli.loader, sources=job["sources"])
                try:
                    res["patterns"][p] = [h.name for h in inv.list_hosts(p)]
                except Exception as e:  # noqa: BLE001
                    res["patterns"][p] = {"error": str(e)}
        except SystemExit as e:
            res["error"] = "exit %s" % e.code
        except Exception as e:  # noqa: BLE001 - the test decides
            res["error"] = "%s: %s" % (type(e).__name__, e)
        finally:
            display.warning = orig_warning
            if orig_err is not None:
                display.error_as_warning = orig_err
        res["warnings"] = warnings
        results.append(res)
    real_stdout.write(json.dumps(results))
    real_stdout.flush()


if __name__ == "__main__":
    main()
