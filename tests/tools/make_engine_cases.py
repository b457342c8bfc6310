#!/usr/bin/env python3
"""One-off generator for the engine's handwritten differential cases
(precedence, vars files, sources, patterns, graph). Re-running rewrites
them; each case is plain files, reviewed as such."""
import json, os, shutil, sys

ROOT = os.path.join(os.path.dirname(__file__), "..", "corpus", "inventory")

def case(name, files, cfg=None, symlinks=None):
    d = os.path.join(ROOT, name)
    if os.path.exists(d):
        shutil.rmtree(d)
    os.makedirs(d)
    for path, text in files.items():
        p = os.path.join(d, path)
        if text is None:
            os.makedirs(p, exist_ok=True)
            continue
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)
    for link, target in (symlinks or {}).items():
        os.symlink(target, os.path.join(d, link))
    if cfg:
        with open(os.path.join(d, "case.json"), "w") as f:
            json.dump(cfg, f, indent=2)
            f.write("\n")

NESTED = """all:
  vars:
    v: all_inv
    only_all: 1
  children:
    top:
      vars: {v: top_inv, t: 1}
      children:
        mid:
          vars: {v: mid_inv, m: 1}
          children:
            leaf:
              vars: {v: leaf_inv}
              hosts:
                h1:
    other:
      vars: {v: other_inv}
      hosts:
        h1:
        h2:
"""

case("prec_depth_deeper_group_wins", {"hosts.yml": NESTED})
case("prec_priority_reorders_same_depth", {"hosts.yml": """all:
  children:
    alpha:
      vars: {v: alpha, ansible_group_priority: 10}
      hosts: {h1: }
    beta:
      vars: {v: beta}
      hosts: {h1: }
    gamma:
      vars: {v: gamma, ansible_group_priority: 5}
      hosts: {h1: , h2: }
"""})
case("prec_same_depth_by_name", {"hosts.yml": """all:
  children:
    zz: {vars: {v: zz}, hosts: {h1: }}
    aa: {vars: {v: aa}, hosts: {h1: }}
    mm: {vars: {v: mm}, hosts: {h1: }}
"""})
case("prec_group_vars_all_beats_inventory_group_vars", {
    "hosts.yml": """all:
  vars: {a: inv_all, b: inv_all}
  children:
    web:
      vars: {a: inv_web, c: inv_web}
      hosts: {w1: }
""",
    "group_vars/all.yml": "a: gv_all\nc: gv_all\n",
})
case("prec_group_vars_file_beats_group_vars_all", {
    "hosts.yml": "all:\n  children:\n    web:\n      hosts: {w1: , w2: {x: host}}\n",
    "group_vars/all.yml": "x: all\ny: all\n",
    "group_vars/web.yml": "x: web\ny: web\n",
})
case("prec_host_inventory_beats_group_vars", {
    "hosts.yml": "all:\n  children:\n    web:\n      hosts:\n        w1: {x: inv_host}\n        w2:\n",
    "group_vars/web.yml": "x: gv_web\n",
})
case("prec_host_vars_file_beats_everything", {
    "hosts.yml": "all:\n  vars: {x: all}\n  children:\n    web:\n      vars: {x: web}\n      hosts:\n        w1: {x: inv_host}\n",
    "group_vars/web.yml": "x: gv_web\n",
    "group_vars/all.yml": "x: gv_all\n",
    "host_vars/w1.yml": "x: hv_w1\nz: hv_only\n",
})
case("prec_group_vars_files_follow_group_order", {
    "hosts.yml": NESTED,
    "group_vars/top.yml": "g: top\nv2: top\n",
    "group_vars/mid.yml": "g: mid\n",
    "group_vars/leaf.yml": "g: leaf\n",
    "group_vars/other.yml": "g: other\nv2: other\n",
})
case("vars_file_extensionless_wins_over_yml", {
    "hosts.yml": "all:\n  children:\n    web:\n      hosts: {w1: }\n",
    "group_vars/web": "src: noext\n",
    "group_vars/web.yml": "src: yml\nonly_yml: 1\n",
})
case("vars_file_yml_before_yaml_before_json", {
    "hosts.yml": "all:\n  children:\n    a: {hosts: {h1: }}\n    b: {hosts: {h2: }}\n",
    "group_vars/a.yaml": "src: yaml\n",
    "group_vars/a.yml": "src: yml\n",
    "group_vars/b.json": '{"src": "json"}\n',
    "group_vars/b.yaml": "src: yaml\n",
})
case("vars_dir_walked_recursively_sorted", {
    "hosts.yml": "all:\n  children:\n    web:\n      hosts: {w1: }\n",
    "group_vars/web/10-base.yml": "order: base\nbase: 1\n",
    "group_vars/web/20-over.yaml": "order: over\n",
    "group_vars/web/sub/30-deep.json": '{"deep": true, "order": "deep"}',
    "group_vars/web/.hidden.yml": "order: hidden\n",
    "group_vars/web/99-backup.yml~": "order: backup\n",
    "group_vars/web/notes.txt": "order: txt\n",
    "group_vars/web/noext": "noext: yes\n",
    "group_vars/web/ext.d/inner.yml": "order: extdir\n",
})
case("vars_dir_wins_over_yml_file", {
    "hosts.yml": "all:\n  children:\n    web:\n      hosts: {w1: }\n",
    "group_vars/web/main.yml": "src: dir\n",
    "group_vars/web.yml": "src: file\n",
})
case("host_vars_directory", {
    "hosts.yml": "all:\n  hosts:\n    h1:\n    h2:\n",
    "host_vars/h1/a.yml": "a: 1\nb: 1\n",
    "host_vars/h1/b.yml": "b: 2\n",
    "host_vars/h2.yml": "b: 3\n",
})
case("empty_vars_files_are_ignored", {
    "hosts.yml": "all:\n  children:\n    web:\n      hosts: {w1: }\n",
    "group_vars/web.yml": "",
    "group_vars/all.yml": "---\n# only a comment\n",
    "host_vars/w1.yml": "~\n",
})
case("vars_for_unknown_names_are_not_loaded", {
    "hosts.yml": "all:\n  hosts: {h1: }\n",
    "group_vars/nogroup.yml": "x: 1\n",
    "host_vars/nohost.yml": "y: 1\n",
})
case("multi_source_later_source_group_vars_win", {
    "a/hosts.yml": "all:\n  children:\n    top:\n      children:\n        deep:\n          hosts: {h1: }\n",
    "a/group_vars/deep.yml": "v: a_deep\n",
    "b/hosts.yml": "all:\n  children:\n    top:\n      hosts: {h1: , h2: }\n",
    "b/group_vars/top.yml": "v: b_top\n",
    "b/group_vars/all.yml": "w: b_all\n",
    "a/group_vars/all.yml": "w: a_all\nonly_a: 1\n",
}, {"sources": ["a/hosts.yml", "b/hosts.yml"]})
case("multi_source_host_vars_later_wins", {
    "a/hosts.yml": "all:\n  hosts: {h1: {x: a_inv}}\n",
    "b/hosts.yml": "all:\n  hosts: {h1: {x: b_inv, y: b_inv}}\n",
    "a/host_vars/h1.yml": "x: a_hv\nz: a_hv\n",
    "b/host_vars/h1.yml": "z: b_hv\n",
}, {"sources": ["b/hosts.yml", "a/hosts.yml"]})
case("multi_source_same_directory", {
    "one.yml": "all:\n  children:\n    g1:\n      hosts: {h1: }\n",
    "two.yml": "all:\n  children:\n    g2:\n      hosts: {h1: , h2: }\n",
    "group_vars/g1.yml": "v: g1\n",
    "group_vars/g2.yml": "v: g2\n",
}, {"sources": ["one.yml", "two.yml"]})
case("directory_source_walked_sorted_with_ignores", {
    "inv/10-first.yml": "all:\n  children:\n    first:\n      hosts: {a1: , shared: {from: first}}\n",
    "inv/20-second.yaml": "all:\n  children:\n    second:\n      hosts: {b1: , shared: {from: second}}\n",
    "inv/.hidden.yml": "all:\n  hosts: {hidden: }\n",
    "inv/README.md": "# not an inventory\n",
    "inv/notes.txt": "not an inventory\n",
    "inv/old.retry": "x\n",
    "inv/hosts.bak": "x\n",
    "inv/sub/30-third.yml": "all:\n  children:\n    third:\n      hosts: {c1: }\n",
    "inv/group_vars/first.yml": "gv: first\n",
    "inv/group_vars/third.yml": "gv: third\n",
    "inv/host_vars/a1.yml": "hv: a1\n",
}, {"sources": ["inv"]})
case("directory_source_subdir_group_vars_not_loaded", {
    "inv/sub/hosts.yml": "all:\n  children:\n    g:\n      hosts: {h1: }\n",
    "inv/sub/group_vars/g.yml": "from_sub: 1\n",
    "inv/group_vars/g.yml": "from_top: 1\n",
}, {"sources": ["inv"]})
case("directory_and_file_sources_mixed", {
    "inv/a.yml": "all:\n  children:\n    g:\n      hosts: {h1: }\n",
    "inv/group_vars/g.yml": "v: inv\n",
    "extra/hosts.yml": "all:\n  children:\n    g:\n      hosts: {h2: }\n",
    "extra/group_vars/g.yml": "v: extra\n",
}, {"sources": ["inv", "extra/hosts.yml"]})
case("playbook_dir_group_vars_beat_inventory_ones", {
    "inv/hosts.yml": "all:\n  children:\n    web:\n      hosts: {w1: , w2: }\n",
    "inv/group_vars/web.yml": "v: inv_web\nk: inv\n",
    "inv/group_vars/all.yml": "a: inv_all\n",
    "pb/group_vars/all.yml": "a: pb_all\n",
    "pb/group_vars/web.yml": "v: pb_web\n",
    "pb/host_vars/w1.yml": "v: pb_w1\n",
    "inv/host_vars/w1.yml": "v: inv_w1\nh: inv\n",
}, {"sources": ["inv/hosts.yml"], "playbook_dir": "pb"})
case("playbook_dir_same_as_inventory_dir", {
    "hosts.yml": "all:\n  children:\n    web:\n      hosts: {w1: }\n",
    "group_vars/web.yml": "v: 1\n",
}, {"playbook_dir": "."})
MERGE_INV = {
    "hosts.yml": """all:
  vars:
    cfg: {a: 1, nested: {x: 1, y: 1}, lst: [1, 2]}
  children:
    web:
      vars:
        cfg: {b: 2, nested: {y: 2}, lst: [3]}
      hosts:
        w1:
          cfg: {c: 3, nested: {z: 3}}
        w2:
""",
    "group_vars/web.yml": "cfg:\n  d: 4\n  nested: {w: 4}\n",
    "group_vars/all.yml": "cfg:\n  e: 5\nscalar_then_dict: 1\n",
    "host_vars/w2.yml": "cfg: replaced_by_scalar\n",
}
case("hash_replace_dicts_are_replaced", dict(MERGE_INV))
case("hash_merge_dicts_merge_recursively", dict(MERGE_INV), {"hash_behaviour": "merge"})
case("hash_merge_nesting_is_not_associative", {
    "a/hosts.yml": "all:\n  children:\n    g:\n      hosts: {h1: }\n",
    "a/group_vars/g.yml": "d: {k1: 1}\n",
    "b/hosts.yml": "all:\n  children:\n    g:\n      hosts: {h1: }\n",
    "b/group_vars/g/1.yml": "d: scalar\n",
    "b/group_vars/g/2.yml": "d: {k2: 2}\n",
}, {"sources": ["a/hosts.yml", "b/hosts.yml"], "hash_behaviour": "merge"})
case("internal_variable_names_are_dropped", {
    "hosts.yml": """all:
  vars:
    inventory_hostname: nope
    groups: nope
    group_names: nope
    playbook_dir: nope
    ansible_version: nope
    inventory_file: nope
    ansible_check_mode: kept
    omit: kept
  hosts:
    h1:
      hostvars: nope
      role_name: nope
      ansible_facts: {a: 1}
      keep: 1
""",
})
case("export_group_vars_and_priority", {
    "hosts.yml": """all:
  vars: {a: 1}
  children:
    web:
      vars: {ansible_group_priority: 7, b: 2}
      hosts: {w1: {x: 1}}
    ungrouped:
      vars: {u: 1}
""",
    "group_vars/web.yml": "c: 3\n",
    "host_vars/w1.yml": "y: 2\n",
})
PAT_INV = """all:
  children:
    web:
      hosts: {web1: , web2: , web3: , web10: }
    db:
      hosts: {db1: , db2: , web2: }
    lb:
      hosts: {lb1.example.com: , lb2.example.com: }
    app:
      children:
        web:
        db:
      hosts: {app1: }
    empty:
  hosts:
    loose: 
    10.0.0.1:
"""
case("patterns_union_intersection_exclusion", {"hosts.yml": PAT_INV}, {"patterns": [
    "all", "*", "web", "web:db", "web,db", "web:&db", "web:!db", "!web", "&web", "web:db:!web2",
    "app", "app:!web", "web2", "web2:db1", "ungrouped", "empty", "nope", "web:nope", "db:web",
    "all:!ungrouped", "app:&db:!db2", " web , db ", "loose", "10.0.0.1",
]})
case("patterns_wildcards_and_regex", {"hosts.yml": PAT_INV}, {"patterns": [
    "web*", "*1", "w?b1", "web[12]", "lb*.example.com", "*.example.com", "~web\\d+", "~(web|db)1",
    "~.*example", "~^db", "a*", "~web[", "we*:!web1", "[!w]*", "10.*", "~10\\.0", "*[0-9]",
]})
case("patterns_subscripts", {"hosts.yml": PAT_INV}, {"patterns": [
    "web[0]", "web[1]", "web[-1]", "web[1:2]", "web[1:]", "web[0:0]", "web[2:0]", "web[10]",
    "web[5:7]", "web[-2]", "app[0:3]", "db[1]:web[0]", "web[0]:&db", "all[0]", "all[-1]",
    "web*[0]", "web[1-2]", "nope[0]",
]})
case("graph_repeats_shared_subtrees", {"hosts.yml": """all:
  children:
    a:
      children:
        shared:
          hosts: {s1: {v: 1}}
    b:
      children:
        shared:
        c:
          hosts: {c1: }
      hosts: {b1: }
"""}, {"graph": ["all", "a", "b", "shared", "c", "ungrouped", "nope"]})
case("depth_takes_longest_path", {"hosts.yml": """all:
  children:
    short:
      vars: {v: short}
      hosts: {h1: }
    p1:
      children:
        p2:
          children:
            short:
      vars: {v: p1}
    z:
      vars: {v: z}
      hosts: {h1: }
"""})
case("ungrouped_and_all_hosts", {"hosts.yml": """all:
  hosts:
    a1:
    a2: {x: 1}
  children:
    ungrouped:
      hosts: {u1: , a2: }
    g:
      hosts: {a2: , g1: }
"""}, {"patterns": ["ungrouped", "all", "all:!g"]})
case("group_and_host_with_same_name", {"hosts.yml": """all:
  children:
    dup:
      vars: {gv: 1}
      hosts: {h1: }
    other:
      hosts:
        dup: {hv: 1}
"""}, {"patterns": ["dup", "other", "dup:&other"]})
case("unicode_names_and_values", {
    "hosts.yml": "all:\n  children:\n    grüppe:\n      vars: {motd: \"héllo → wörld ✓\", emoji: \"😀\"}\n      hosts: {hôst1: {note: \"naïve\"}}\n",
    "group_vars/grüppe.yml": "from_file: \"ç\"\n",
})
case("typed_values_render_like_python", {
    "hosts.yml": """all:
  vars:
    f1: 1.5
    f2: 1.0e+20
    f3: 0.00001
    big: 12345678901234567890
    neg: -3
    t: true
    n: null
    lst: [1, "two", 3.0, null, true, {k: v}]
    dct: {b: [], a: {}, "quote'd": "it's", "dq": 'say "hi"'}
    nl: "line1\\nline2\\ttab"
    bs: "back\\\\slash"
  hosts: {h1: }
""",
})
case("host_list_source", {"dummy": ""}, {"sources": ["h1,h2:2222,10.0.0.5,[::1]:22,"], "graph": ["all"]})
case("empty_yml_file_is_an_empty_inventory", {"hosts.yml": ""})
case("json_inventory_file", {"hosts.json": json.dumps({"all": {"children": {"web": {"hosts": {"w1": {"x": 1}, "w2": None}, "vars": {"y": [1, 2]}}}}})})
case("symlinked_group_vars_dir", {
    "hosts.yml": "all:\n  children:\n    web:\n      hosts: {w1: }\n",
    "shared/web.yml": "via: symlink\n",
}, symlinks={"group_vars": "shared"})
case("missing_source_is_an_error", {"hosts.yml": "all:\n  hosts: {h1: }\n"},
     {"sources": ["hosts.yml", "does-not-exist"], "expect_error": {"file": "does-not-exist"}})
print("ok")

# ---- INI-sourced precedence and layout cases ----
case("ini_all_vars_below_group_vars_below_host", {
    "hosts": "[web]\nw1 x=host\nw2\n\n[web:vars]\nx=web\ny=web\n\n[all:vars]\nx=all\ny=all\nz=all\n",
    "group_vars/all.yml": "z: gv_all\n",
})
case("ini_children_depth_and_priority", {
    "hosts": """[leaf]
h1

[mid:children]
leaf

[top:children]
mid

[side]
h1

[leaf:vars]
v=leaf

[mid:vars]
v=mid
m=mid

[top:vars]
v=top
m=top
t=top

[side:vars]
v=side
m=side
t=side
ansible_group_priority=10
""",
})
case("ini_priority_string_and_ties", {
    "hosts": "[a]\nh1\n[b]\nh1\n[c]\nh1\n[a:vars]\nv=a\nansible_group_priority='3'\n[b:vars]\nv=b\nansible_group_priority=3\n[c:vars]\nv=c\nansible_group_priority=2\n",
})
case("ini_kubespray_layout_group_vars_dirs", {
    "inventory/mycluster/hosts.ini": """[kube_control_plane]
node1 ansible_host=127.0.0.11 ip=127.0.0.11
node2 ansible_host=127.0.0.12 ip=127.0.0.12

[etcd]
node1
node2
node3 ansible_host=127.0.0.13

[kube_node]
node3
node4 ansible_host=127.0.0.14

[k8s_cluster:children]
kube_control_plane
kube_node

[calico_rr]
""",
    "inventory/mycluster/group_vars/all/all.yml": "etcd_data_dir: /var/lib/etcd\nloadbalancer_apiserver_port: 6443\n",
    "inventory/mycluster/group_vars/all/containerd.yml": "containerd_version: 1.7.0\n",
    "inventory/mycluster/group_vars/k8s_cluster/k8s-cluster.yml": "kube_version: v1.29.0\nkube_network_plugin: calico\n",
    "inventory/mycluster/group_vars/k8s_cluster/addons.yml": "helm_enabled: false\ncert_manager_enabled: true\n",
    "inventory/mycluster/group_vars/etcd.yml": "etcd_quota_backend_bytes: 2147483648\n",
    "inventory/mycluster/host_vars/node1.yml": "etcd_quota_backend_bytes: 20971520\n",
}, {"sources": ["inventory/mycluster/hosts.ini"], "patterns": ["etcd", "k8s_cluster:!etcd", "kube_control_plane[0]", "etcd:&kube_node"]})
case("ini_kubespray_layout_directory_source", {
    "inventory/mycluster/hosts.ini": "[etcd]\nnode1\nnode2\n[kube_node]\nnode2\n[k8s_cluster:children]\nkube_node\n",
    "inventory/mycluster/group_vars/all/all.yml": "a: 1\n",
    "inventory/mycluster/group_vars/k8s_cluster/k8s-cluster.yml": "b: 2\n",
    "inventory/mycluster/README.md": "ignored\n",
}, {"sources": ["inventory/mycluster"]})
case("ini_extensionless_file_holding_yaml", {
    "hosts": "all:\n  children:\n    web:\n      hosts:\n        w1: {a: 1}\n",
    "group_vars/web": "b: 2\n",
})
case("ini_and_yaml_sources_in_one_directory", {
    "inv/01-base.ini": "[web]\nw1\n[db]\nd1\n[web:vars]\nsrc=ini\n",
    "inv/02-more.yml": "all:\n  children:\n    web:\n      vars: {src: yaml, extra: 1}\n      hosts: {w2: }\n    cache:\n      hosts: {c1: }\n",
    "inv/03-hosts": "[cache]\nc2\n",
    "inv/group_vars/cache.yml": "tier: cache\n",
}, {"sources": ["inv"], "patterns": ["web", "cache", "all"]})
case("ini_playbook_dir_overrides", {
    "inv/hosts": "[web]\nw1\n[web:vars]\nv=inv\n",
    "inv/group_vars/web.yml": "v: inv_gv\nk: inv_gv\n",
    "playbooks/group_vars/web.yml": "v: pb_gv\n",
    "playbooks/group_vars/all/main.yml": "a: pb_all\n",
}, {"sources": ["inv/hosts"], "playbook_dir": "playbooks"})
case("ini_hash_merge_dict_literals", {
    "hosts": "[web]\nw1 d=\"{'h': 1, 'n': {'x': 1}}\"\n[web:vars]\nd={'g': 1, 'n': {'y': 2}}\n[all:vars]\nd={'a': 1}\n",
    "group_vars/web.yml": "d: {f: 1, n: {z: 3}}\n",
}, {"hash_behaviour": "merge"})
case("ini_hash_replace_dict_literals", {
    "hosts": "[web]\nw1 d=\"{'h': 1}\"\nw2\n[web:vars]\nd={'g': 1, 'n': {'y': 2}}\n",
    "group_vars/web.yml": "d: {f: 1}\n",
})
case("ini_ranges_and_subscripts", {
    "hosts": "[nodes]\nnode[01:10]\n[odd]\nnode[01:10:2]\n[letters]\nn-[a:e]\n",
}, {"patterns": ["nodes[0]", "nodes[-1]", "nodes[2:4]", "nodes:&odd", "nodes:!odd", "node0*", "~node0[1-3]", "letters[1:]", "n-?", "odd[1:3]:letters[0]"]})
case("ini_graph_vars_python_repr", {
    "hosts": "[web]\nw1 lst=\"[1, 'two', None, True]\" dct=\"{'k': 'v', 'n': 1.5}\" s='it'\"'\"'s' f=1e3 h=0x1f t=(1,2)\n[web:vars]\nempty=\nspace=a b c\n",
})
case("ini_host_vars_for_dotted_names", {
    "hosts": "[web]\nnode1.example.com\n10.0.0.7\n",
    "host_vars/node1.example.com.yml": "from: yml\n",
    "host_vars/node1.example.com": "from: noext\n",
    "host_vars/10.0.0.7.json": '{"from": "json"}',
})
case("ini_group_vars_for_ungrouped_and_all", {
    "hosts": "loose1\nloose2 x=1\n[web]\nw1\n",
    "group_vars/ungrouped.yml": "u: 1\n",
    "group_vars/all.yml": "a: 1\n",
})
case("ini_explicit_all_children", {
    "hosts": "[all:children]\nb\na\n[a]\nh1\n[b]\nh2\n",
}, {"graph": ["all", "a"], "patterns": ["all"]})
case("ini_vars_dir_case_sensitive_extensions", {
    "hosts": "[web]\nw1\n",
    "group_vars/web/a.YML": "skipped: true\n",
    "group_vars/web/b.yml": "kept: true\n",
    "group_vars/web/c.Yaml": "skipped2: true\n",
})
case("ini_host_in_many_groups_precedence", {
    "hosts": "[a]\nh1\n[b]\nh1\n[c]\nh1\n[p:children]\na\n[a:vars]\nv=a\n[b:vars]\nv=b\n[c:vars]\nv=c\n[p:vars]\nv=p\nw=p\n",
    "group_vars/p.yml": "w: gv_p\nv: gv_p\n",
    "group_vars/b.yml": "v: gv_b\n",
})
case("ini_two_sources_group_redefined", {
    "one/hosts": "[web]\nw1\n[web:vars]\nv=one\n",
    "two/hosts": "[web]\nw2\n[web:vars]\nv=two\n",
    "one/group_vars/web.yml": "g: one\n",
    "two/group_vars/web.yml": "g: two\n",
}, {"sources": ["one/hosts", "two/hosts"]})
case("ini_port_and_ipv6_hosts", {
    "hosts": "[web]\nw1:2222\n[::1]:2200\n192.168.0.1:22 ansible_port=2022\n[db]\nw1:3333\n",
}, {"patterns": ["web", "::1", "w1"]})

# ---- more source handling ----
case("symlinked_inventory_file_uses_link_directory", {
    "real/hosts.yml": "all:\n  children:\n    web:\n      hosts: {w1: }\n",
    "real/group_vars/web.yml": "from: real_dir\n",
    "link/group_vars/web.yml": "from: link_dir\n",
}, {"sources": ["link/hosts.yml"]}, symlinks={"link/hosts.yml": "../real/hosts.yml"})
case("same_source_given_twice", {
    "hosts": "[web]\nw1 x=1\n[web:vars]\ny=2\n",
    "group_vars/web.yml": "z: 3\n",
}, {"sources": ["hosts", "hosts"]})
case("host_list_plus_file_source", {
    "hosts.yml": "all:\n  children:\n    web:\n      hosts: {w1: , h1: {x: 1}}\n",
    "group_vars/web.yml": "g: web\n",
}, {"sources": ["h1,h9,", "hosts.yml"]})
case("patterns_implicit_localhost", {"hosts.yml": "all:\n  children:\n    web:\n      hosts: {w1: , w2: }\n"},
     {"patterns": ["localhost", "web:localhost", "127.0.0.1", "localhost:!localhost", "web[0]:127.0.0.1", "all", "::1", "localhost:&web"]})
