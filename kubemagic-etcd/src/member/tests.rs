use super::*;

fn pm(id: u64, name: &str, port: u16, learner: bool) -> PeerMember {
    PeerMember {
        id: MemberId(id),
        name: name.to_string(),
        peer_urls: vec![format!("https://10.0.0.{id}:{port}")],
        client_urls: if name.is_empty() {
            vec![]
        } else {
            vec![format!("https://10.0.0.{id}:2379")]
        },
        is_learner: learner,
    }
}

fn view(members: &[(PeerMember, bool)]) -> ClusterView {
    ClusterView {
        cluster_id: MemberId(0xc1),
        members: members
            .iter()
            .map(|(m, h)| ObservedMember {
                member: m.clone(),
                healthy: *h,
                version: h.then(|| "3.4.23".to_string()),
            })
            .collect(),
    }
}

fn three(healthy: [bool; 3]) -> ClusterView {
    view(&[
        (pm(1, "etcd1", 2380, false), healthy[0]),
        (pm(2, "etcd2", 2380, false), healthy[1]),
        (pm(3, "etcd3", 2380, false), healthy[2]),
    ])
}

#[test]
fn removing_the_dead_member_of_three_keeps_quorum() {
    let v = three([true, true, false]);
    assert_eq!(
        check_remove(&v, "etcd3", false).unwrap().member.id,
        MemberId(3)
    );
}

#[test]
fn a_healthy_member_is_refused_unless_forced() {
    let v = three([true, true, true]);
    assert!(matches!(
        check_remove(&v, "etcd1", false),
        Err(Refusal::Healthy { .. })
    ));
    assert!(check_remove(&v, "etcd1", true).is_ok());
}

#[test]
fn removing_a_healthy_member_while_another_is_down_loses_quorum_even_forced() {
    let v = three([true, true, false]);
    assert!(matches!(
        check_remove(&v, "etcd1", true),
        Err(Refusal::LosesQuorum {
            healthy_after: 1,
            quorum_after: 2,
            ..
        })
    ));
}

#[test]
fn nothing_changes_without_quorum() {
    let v = three([true, false, false]);
    assert!(matches!(
        check_remove(&v, "etcd3", false),
        Err(Refusal::NoQuorum { .. })
    ));
    assert!(matches!(
        check_add(&v, "etcd4", &["https://10.0.0.4:2380".into()], true, None),
        Err(Refusal::NoQuorum { .. })
    ));
}

#[test]
fn unknown_and_duplicate_names_are_refused() {
    let v = three([true, true, false]);
    assert!(matches!(
        check_remove(&v, "nope", false),
        Err(Refusal::UnknownMember { .. })
    ));
    let d = view(&[
        (pm(1, "x", 2380, false), true),
        (pm(2, "x", 2380, false), true),
        (pm(3, "y", 2380, false), false),
    ]);
    assert!(matches!(
        check_remove(&d, "x", false),
        Err(Refusal::AmbiguousName { .. })
    ));
}

#[test]
fn a_name_reused_with_other_peer_urls_is_km143() {
    let v = three([true, true, true]);
    let r = check_add(&v, "etcd2", &["https://10.0.0.9:2380".into()], true, None).unwrap_err();
    assert!(matches!(r, Refusal::NameReused { .. }));
    assert_eq!(r.finding().unwrap().code, "KM143");
    // Replacing etcd3 by a member of the same name is the normal case.
    let v = three([true, true, false]);
    assert!(check_add(
        &v,
        "etcd3",
        &["https://10.0.0.9:2380".into()],
        true,
        Some(MemberId(3))
    )
    .is_ok());
}

#[test]
fn peer_urls_of_another_member_are_refused() {
    let v = three([true, true, false]);
    assert!(matches!(
        check_add(&v, "new", &["https://10.0.0.2:2380".into()], true, None),
        Err(Refusal::PeerUrlsTaken { .. })
    ));
}

#[test]
fn a_pending_member_blocks_another_add() {
    let v = view(&[
        (pm(1, "etcd1", 2380, false), true),
        (pm(2, "etcd2", 2380, false), true),
        (pm(3, "", 2380, true), false),
    ]);
    assert!(matches!(
        check_add(&v, "etcd4", &["https://10.0.0.4:2380".into()], true, None),
        Err(Refusal::PendingMember { .. })
    ));
}

#[test]
fn a_voting_add_to_two_healthy_of_three_loses_quorum_but_a_learner_does_not() {
    // Four voters need three; only two answer.
    let v = three([true, true, false]);
    let urls = vec!["https://10.0.0.4:2380".to_string()];
    assert!(matches!(
        check_add(&v, "etcd4", &urls, false, None),
        Err(Refusal::LosesQuorum { .. })
    ));
    assert!(check_add(&v, "etcd4", &urls, true, None).is_ok());
    // Replacing (etcd3 leaves) keeps three voters, two healthy: fine.
    assert!(check_add(&v, "etcd4", &urls, false, Some(MemberId(3))).is_ok());
}

#[test]
fn bad_peer_urls_are_input_errors() {
    for u in [
        "10.0.0.1:2380",
        "https://10.0.0.1",
        "https://10.0.0.1:2380/x",
        "ftp://a:1",
    ] {
        let e = check_peer_urls(&[u.to_string()]).unwrap_err();
        assert!(e.is_input_error(), "{u}");
    }
    assert!(check_peer_urls(&["https://[::1]:2380".into()]).is_ok());
}

#[test]
fn learners_need_3_4_on_every_answering_member() {
    let mut v = three([true, true, false]);
    assert!(v.supports_learners());
    v.members[1].version = Some("3.3.25".into());
    assert!(!v.supports_learners());
}

#[test]
fn join_env_lists_started_members_and_the_new_one_as_existing() {
    let list = vec![
        pm(1, "etcd1", 2380, false),
        pm(2, "etcd2", 2380, false),
        pm(9, "", 2380, true),
    ];
    let env = join_env(
        &list,
        MemberId(9),
        "etcd3",
        &["https://10.0.0.9:2380".into()],
        "k8s_etcd",
    );
    assert_eq!(env.get("ETCD_NAME"), Some("etcd3"));
    assert_eq!(
        env.get("ETCD_INITIAL_CLUSTER"),
        Some("etcd1=https://10.0.0.1:2380,etcd2=https://10.0.0.2:2380,etcd3=https://10.0.0.9:2380")
    );
    assert_eq!(env.get("ETCD_INITIAL_CLUSTER_STATE"), Some("existing"));
    assert_eq!(
        env.get("ETCD_INITIAL_ADVERTISE_PEER_URLS"),
        Some("https://10.0.0.9:2380")
    );
    assert_eq!(
        env.get("ETCD_LISTEN_PEER_URLS"),
        Some("https://10.0.0.9:2380")
    );
    assert!(env
        .to_env_file()
        .contains("ETCD_INITIAL_CLUSTER_STATE=existing\n"));
    assert_eq!(env.to_json()["ETCD_NAME"], "etcd3");
}

fn journal(step: Step, new_id: Option<u64>) -> Journal {
    Journal {
        version: JOURNAL_VERSION,
        cluster_id: MemberId(0xc1),
        dead: MemberRef {
            id: MemberId(3),
            name: "etcd3".into(),
            peer_urls: vec!["https://10.0.0.3:2380".into()],
        },
        new_name: "etcd3".into(),
        new_peer_urls: vec!["https://10.0.0.9:2380".into()],
        learner: true,
        forced: false,
        step,
        new_id: new_id.map(MemberId),
    }
}

#[test]
fn a_planned_replacement_removes_the_member_with_its_id_and_urls() {
    let list = vec![pm(1, "etcd1", 2380, false), pm(3, "etcd3", 2380, false)];
    assert_eq!(
        next_action(&journal(Step::Planned, None), MemberId(0xc1), &list),
        Ok(Action::Remove(MemberId(3)))
    );
}

#[test]
fn a_resumed_run_never_removes_a_member_whose_urls_changed() {
    let mut other = pm(3, "etcd3", 2380, false);
    other.peer_urls = vec!["https://10.0.0.7:2380".into()];
    assert!(matches!(
        next_action(&journal(Step::Planned, None), MemberId(0xc1), &[other]),
        Err(Conflict::NotTheSameMember { .. })
    ));
}

#[test]
fn killed_after_the_remove_the_absence_is_recorded() {
    let list = vec![pm(1, "etcd1", 2380, false)];
    assert_eq!(
        next_action(&journal(Step::Planned, None), MemberId(0xc1), &list),
        Ok(Action::RecordRemoved)
    );
    assert_eq!(
        next_action(&journal(Step::Removed, None), MemberId(0xc1), &list),
        Ok(Action::Add)
    );
}

#[test]
fn killed_after_the_add_the_listed_member_is_adopted_not_added_again() {
    let list = vec![pm(1, "etcd1", 2380, false), pm(9, "", 2380, true)];
    assert_eq!(
        next_action(&journal(Step::Removed, None), MemberId(0xc1), &list),
        Ok(Action::RecordAdded(MemberId(9)))
    );
    assert_eq!(
        next_action(&journal(Step::Added, Some(9)), MemberId(0xc1), &list),
        Ok(Action::Done(MemberId(9)))
    );
}

#[test]
fn the_new_urls_on_a_started_member_of_another_name_are_a_conflict() {
    let list = vec![pm(9, "intruder", 2380, false)];
    assert!(matches!(
        next_action(&journal(Step::Removed, None), MemberId(0xc1), &list),
        Err(Conflict::UrlsTaken { .. })
    ));
}

#[test]
fn a_journal_of_another_cluster_is_refused() {
    assert!(matches!(
        next_action(&journal(Step::Planned, None), MemberId(0xdd), &[]),
        Err(Conflict::OtherCluster { .. })
    ));
}

#[test]
fn initial_cluster_parses_and_derives_ids_from_sorted_urls() {
    let ic = parse_initial_cluster("a=http://h:2,a=http://h:1,b=http://g:1").unwrap();
    assert_eq!(ic[0].1.len(), 2);
    assert_eq!(
        bootstrap_member_id(&["http://h:1".into(), "http://h:2".into()], "t"),
        bootstrap_member_id(&["http://h:2".into(), "http://h:1".into()], "t")
    );
    assert!(parse_initial_cluster("a").is_err());
    assert!(parse_initial_cluster("=http://h:1").is_err());
}

fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn env_findings_name_each_trap_and_none_on_a_clean_member() {
    let v = three([true, true, true]);
    let none = |_: &str| None;
    // Clean: an existing member, its own URLs, its own cluster.
    let clean = vars(&[
        ("ETCD_NAME", "etcd1"),
        ("ETCD_INITIAL_CLUSTER_STATE", "existing"),
        ("ETCD_INITIAL_ADVERTISE_PEER_URLS", "https://10.0.0.1:2380"),
    ]);
    let dd = DataDir::Member {
        member_id: MemberId(1),
        cluster_id: MemberId(0xc1),
    };
    assert!(env_findings(&clean, &none, &dd, &v).is_empty());
    // KM141: another cluster's data.
    let other = DataDir::Member {
        member_id: MemberId(1),
        cluster_id: MemberId(0xee),
    };
    let f = env_findings(&clean, &none, &other, &v);
    assert_eq!(f[0].code, "KM141");
    // KM142: new, empty data dir, running cluster of another id.
    let joining = vars(&[
        ("ETCD_NAME", "etcd4"),
        ("ETCD_INITIAL_CLUSTER_STATE", "new"),
        ("ETCD_INITIAL_CLUSTER", "etcd4=https://10.0.0.4:2380"),
    ]);
    assert_eq!(
        env_findings(&joining, &none, &DataDir::Empty, &v)[0].code,
        "KM142"
    );
    // KM143: the name with other peer URLs.
    let reused = vars(&[
        ("ETCD_NAME", "etcd2"),
        ("ETCD_INITIAL_ADVERTISE_PEER_URLS", "https://10.0.0.8:2380"),
    ]);
    assert_eq!(
        env_findings(&reused, &none, &DataDir::Empty, &v)[0].code,
        "KM143"
    );
}

#[test]
fn state_new_on_the_first_bootstrap_is_not_a_finding() {
    // The running cluster was bootstrapped from this very initial cluster
    // and token: its id is the one the member would compute.
    let ic = "a=http://127.0.0.1:1,b=http://127.0.0.1:2,c=http://127.0.0.1:3";
    let id = cluster_id_of(&parse_initial_cluster(ic).unwrap(), "tok");
    let mut v = three([true, true, false]);
    v.cluster_id = id;
    let boot = vars(&[
        ("ETCD_NAME", "c"),
        ("ETCD_INITIAL_CLUSTER_STATE", "new"),
        ("ETCD_INITIAL_CLUSTER", ic),
        ("ETCD_INITIAL_CLUSTER_TOKEN", "tok"),
    ]);
    assert!(env_findings(&boot, &|_| None, &DataDir::Empty, &v).is_empty());
}
