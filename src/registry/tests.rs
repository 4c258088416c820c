//! Each eligibility and recusal rule on its own, and the 三表三制 completeness check.

use super::*;

fn t(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}
fn org(n: u8) -> OrgId {
    OrgId::parse(&format!("0190f5d2-0000-7000-8000-0000000000{n:02}")).unwrap()
}
fn line<const A: usize, const B: usize>(s: &str) -> Line<A, B> {
    Line::parse(s).unwrap()
}

fn forms() -> AgentForms {
    AgentForms {
        organisation: OrganisationForm {
            name: line("辽宁正信招标代理有限公司"),
            credit_code: CreditCode::parse("91210100MA0Y12345M").unwrap(),
            address: line("沈阳市和平区"),
            phone: line("024-12345678"),
            registered_capital_fen: 100_000_000,
        },
        legal_representative: LegalRepresentativeForm {
            name: line("张三"),
            id_number: line("210102198001010011"),
            phone: line("13800000000"),
        },
        staff: vec![StaffMember {
            name: line("李四"),
            title: line("项目经理"),
            certificate: line("ZB-001"),
        }],
        commitments: AgentRule::ALL
            .iter()
            .map(|r| RuleCommitment {
                rule: *r,
                signed_by: line("张三"),
                text_sha256: r.text_sha256(),
                key_id: None,
                signature: None,
            })
            .collect(),
    }
}

fn agent(status: AgentStatus) -> AgentRecord {
    AgentRecord {
        org_id: org(1),
        status,
        forms: forms(),
        submitted_at: t("2027-01-01T00:00:00Z"),
        updated_at: t("2027-01-01T00:00:00Z"),
    }
}

fn qual(categories: Vec<Category>, grade: u8, from: &str, to: &str, at: &str) -> Qualification {
    Qualification {
        id: "q".into(),
        org_id: org(1),
        categories,
        grade,
        valid_from: t(from),
        valid_to: t(to),
        recorded_at: t(at),
    }
}

fn credit(colour: CreditColour, from: &str, to: &str) -> CreditRecord {
    CreditRecord {
        id: "c1".into(),
        org_id: org(1),
        colour,
        reason: line("串通投标"),
        source_document: line("沈建罚〔2027〕1号"),
        from: t(from),
        to: t(to),
        recorded_at: t(from),
    }
}

const NOW: &str = "2027-03-01T01:00:00Z";
const FILTER: AgentFilter = AgentFilter {
    category: Category::Construction,
    max_grade: None,
};

fn good_qual() -> Vec<Qualification> {
    vec![qual(
        vec![Category::Construction],
        2,
        "2027-01-01T00:00:00Z",
        "2028-01-01T00:00:00Z",
        "2027-01-01T00:00:00Z",
    )]
}

#[test]
fn complete_forms_pass_and_each_missing_piece_is_named() {
    assert_eq!(forms().check(), Ok(()));
    let mut f = forms();
    f.staff.clear();
    assert_eq!(f.check(), Err(RegistryRule::StaffFormEmpty));
    let mut f = forms();
    f.commitments.remove(1);
    assert_eq!(
        f.check(),
        Err(RegistryRule::CommitmentMissing {
            rule: AgentRule::CodeOfConduct
        })
    );
    let mut f = forms();
    f.commitments[0].text_sha256 = "00".repeat(32);
    assert!(matches!(
        f.check(),
        Err(RegistryRule::CommitmentTextChanged { .. })
    ));
    let mut f = forms();
    f.commitments.push(f.commitments[2].clone());
    assert!(matches!(
        f.check(),
        Err(RegistryRule::CommitmentRepeated { .. })
    ));
}

#[test]
fn only_a_pending_registration_is_reviewed() {
    assert_eq!(AgentStatus::Pending.review(true), Ok(AgentStatus::Approved));
    assert_eq!(
        AgentStatus::Pending.review(false),
        Ok(AgentStatus::Rejected)
    );
    assert!(AgentStatus::Approved.review(true).is_err());
    assert!(AgentStatus::Rejected.review(true).is_err());
    assert_eq!(AgentStatus::Rejected.submit(), Ok(AgentStatus::Pending));
    assert!(AgentStatus::Approved.submit().is_err());
}

#[test]
fn an_approved_qualified_agent_is_eligible() {
    let why = agent_exclusions(
        &agent(AgentStatus::Approved),
        &good_qual(),
        &[],
        &FILTER,
        t(NOW),
    );
    assert!(why.is_empty(), "{why:?}");
}

#[test]
fn an_unapproved_agent_is_excluded() {
    let why = agent_exclusions(
        &agent(AgentStatus::Pending),
        &good_qual(),
        &[],
        &FILTER,
        t(NOW),
    );
    assert_eq!(
        why,
        vec![Exclusion::NotApproved {
            status: AgentStatus::Pending
        }]
    );
}

#[test]
fn a_qualification_for_another_category_or_expired_excludes() {
    let goods = vec![qual(
        vec![Category::Goods],
        1,
        "2027-01-01T00:00:00Z",
        "2028-01-01T00:00:00Z",
        "2027-01-01T00:00:00Z",
    )];
    let expired = vec![qual(
        vec![Category::Construction],
        1,
        "2026-01-01T00:00:00Z",
        "2027-02-01T00:00:00Z",
        "2026-01-01T00:00:00Z",
    )];
    for quals in [goods, expired, vec![]] {
        let why = agent_exclusions(&agent(AgentStatus::Approved), &quals, &[], &FILTER, t(NOW));
        assert_eq!(
            why,
            vec![Exclusion::NotQualified {
                category: Category::Construction
            }]
        );
    }
}

#[test]
fn a_newer_qualification_record_supersedes_the_older_one() {
    let mut quals = good_qual();
    quals.push(qual(
        vec![Category::Construction],
        2,
        "2027-01-01T00:00:00Z",
        "2027-02-01T00:00:00Z",
        "2027-02-01T00:00:00Z",
    ));
    let why = agent_exclusions(&agent(AgentStatus::Approved), &quals, &[], &FILTER, t(NOW));
    assert_eq!(why.len(), 1, "the newer, expired record decides");
}

#[test]
fn a_grade_below_the_filter_excludes() {
    let filter = AgentFilter {
        category: Category::Construction,
        max_grade: Some(1),
    };
    let why = agent_exclusions(
        &agent(AgentStatus::Approved),
        &good_qual(),
        &[],
        &filter,
        t(NOW),
    );
    assert_eq!(
        why,
        vec![Exclusion::GradeTooLow {
            grade: 2,
            required: 1
        }]
    );
}

#[test]
fn red_credit_in_force_excludes_other_colours_and_past_red_do_not() {
    let a = agent(AgentStatus::Approved);
    let red = credit(
        CreditColour::Red,
        "2027-02-01T00:00:00Z",
        "2027-06-01T00:00:00Z",
    );
    let why = agent_exclusions(
        &a,
        &good_qual(),
        std::slice::from_ref(&red),
        &FILTER,
        t(NOW),
    );
    assert_eq!(
        why,
        vec![Exclusion::CreditRed {
            record: "c1".into(),
            until: red.to
        }]
    );
    let past = credit(
        CreditColour::Red,
        "2026-01-01T00:00:00Z",
        "2027-01-01T00:00:00Z",
    );
    let orange = credit(
        CreditColour::Orange,
        "2027-02-01T00:00:00Z",
        "2027-06-01T00:00:00Z",
    );
    assert!(agent_exclusions(&a, &good_qual(), &[past, orange], &FILTER, t(NOW)).is_empty());
}

fn expert() -> Expert {
    Expert {
        id: "e1".into(),
        name: line("赵六"),
        specialties: vec![line("A080101"), line("B020301")],
        employer_org_id: Some(org(9)),
        employer_name: line("某大学"),
        region: line("沈阳市"),
        available: true,
        relations: vec![],
        created_at: t("2027-01-01T00:00:00Z"),
    }
}

fn conflicts() -> Conflicts {
    Conflicts {
        owner: org(2),
        agent: Some(org(3)),
        supervisor: org(4),
        tenderers: vec![org(5), org(6)],
    }
}

fn expert_filter() -> ExpertFilter {
    ExpertFilter {
        specialties: vec![line("A080101")],
        region: None,
    }
}

fn excluded(e: &Expert) -> Vec<Exclusion> {
    expert_exclusions(e, &expert_filter(), &conflicts(), t(NOW))
}

fn relation(kind: RelationKind, o: Option<OrgId>) -> Relation {
    Relation {
        kind,
        org_id: o,
        until: None,
        note: None,
    }
}

#[test]
fn a_matching_unconflicted_expert_is_eligible() {
    assert!(excluded(&expert()).is_empty());
}

#[test]
fn unavailable_wrong_specialty_and_region_exclude() {
    let mut e = expert();
    e.available = false;
    assert_eq!(excluded(&e), vec![Exclusion::Unavailable]);
    let mut e = expert();
    e.specialties = vec![line("C000001")];
    assert_eq!(excluded(&e), vec![Exclusion::NoMatchingSpecialty]);
    let filter = ExpertFilter {
        specialties: vec![line("A080101")],
        region: Some(line("大连市")),
    };
    assert_eq!(
        expert_exclusions(&expert(), &filter, &conflicts(), t(NOW)),
        vec![Exclusion::OutsideRegion]
    );
}

#[test]
fn employed_by_the_owner_a_tenderer_or_the_agent_recuses() {
    for (employer, reason) in [
        (org(2), Exclusion::EmployedByOwner),
        (org(6), Exclusion::EmployedByTenderer),
        (org(3), Exclusion::EmployedByAgent),
    ] {
        let mut e = expert();
        e.employer_org_id = Some(employer);
        assert_eq!(excluded(&e), vec![reason]);
    }
}

#[test]
fn a_close_relative_at_the_owner_or_a_tenderer_recuses() {
    let mut e = expert();
    e.relations = vec![relation(RelationKind::CloseRelative, Some(org(5)))];
    assert_eq!(excluded(&e), vec![Exclusion::CloseRelative]);
    e.relations = vec![relation(RelationKind::CloseRelative, Some(org(8)))];
    assert!(excluded(&e).is_empty(), "an unrelated organisation");
}

#[test]
fn staff_of_the_supervising_department_recuses() {
    let mut e = expert();
    e.relations = vec![relation(RelationKind::SupervisorStaff, Some(org(4)))];
    assert_eq!(excluded(&e), vec![Exclusion::SupervisorStaff]);
}

#[test]
fn an_economic_interest_in_a_party_recuses() {
    let mut e = expert();
    e.relations = vec![relation(RelationKind::EconomicInterest, Some(org(2)))];
    assert_eq!(excluded(&e), vec![Exclusion::EconomicInterest]);
}

#[test]
fn a_prior_sanction_recuses_while_in_force() {
    let mut e = expert();
    e.relations = vec![relation(RelationKind::PriorSanction, None)];
    assert_eq!(excluded(&e), vec![Exclusion::PriorSanction]);
    e.relations[0].until = Some(t("2027-01-01T00:00:00Z"));
    assert!(excluded(&e).is_empty(), "the sanction has ended");
}

#[test]
fn the_rule_message_has_the_documented_bytes() {
    // docs/draw.md, "Signed rule commitments"
    assert_eq!(
        AgentRule::CodeOfConduct.text_sha256(),
        "bcb1ea3ed2ec1d9bb9dd8c0847e9db76042fc755933d5eaab8a438f20ca58e06"
    );
    assert_eq!(
        hex::encode(rule_message(&org(1), AgentRule::CodeOfConduct, "张三")),
        "00586ec6b4b1c98201ed939b3e0f06b221d1e6fbf04090e658040dbba4fe2d92"
    );
    // every input is bound: the organisation, the rule and the signer
    let m = rule_message(&org(1), AgentRule::CodeOfConduct, "张三");
    assert_ne!(m, rule_message(&org(2), AgentRule::CodeOfConduct, "张三"));
    assert_ne!(
        m,
        rule_message(&org(1), AgentRule::ConductSupervision, "张三")
    );
    assert_ne!(m, rule_message(&org(1), AgentRule::CodeOfConduct, "李四"));
}

#[test]
fn a_rule_is_accepted_only_with_a_signature_by_a_registered_key_of_the_organisation() {
    use crate::identity::keys::test_support::{new_pair, proof_for, sign};
    use crate::identity::keys::SigningKey;
    let now = t("2027-03-01T00:00:00Z");
    let key_of = |o: &OrgId, pkcs8: &[u8]| {
        let (public, proof) = proof_for(pkcs8, o);
        SigningKey::register(o, line("CA"), public, &proof, now).unwrap()
    };
    let (_, pkcs8) = new_pair();
    let (_, other_pkcs8) = new_pair();
    let mine = key_of(&org(1), &pkcs8);
    let theirs = key_of(&org(2), &other_pkcs8);
    let keys = vec![mine.clone(), theirs.clone()];
    let signed = |o: &OrgId, pkcs8: &[u8], key: &SigningKey, rule: AgentRule| RuleCommitment {
        rule,
        signed_by: line("张三"),
        text_sha256: rule.text_sha256(),
        key_id: Some(key.id.clone()),
        signature: Some(sign(pkcs8, &rule_message(o, rule, "张三"))),
    };
    let rule = AgentRule::EntryServiceCommitment;
    let good = signed(&org(1), &pkcs8, &mine, rule);
    assert_eq!(good.check_signature(&org(1), &keys), Ok(()));

    let mut unsigned = good.clone();
    unsigned.signature = None;
    assert_eq!(
        unsigned.check_signature(&org(1), &keys),
        Err(RegistryRule::CommitmentUnsigned { rule })
    );
    // another organisation's key, even a valid signature by it
    let foreign = signed(&org(1), &other_pkcs8, &theirs, rule);
    assert_eq!(
        foreign.check_signature(&org(1), &keys),
        Err(RegistryRule::CommitmentUnknownKey { rule })
    );
    // signed for another organisation, another rule or another signer
    for bad in [
        signed(&org(2), &pkcs8, &mine, rule),
        RuleCommitment {
            signature: signed(&org(1), &pkcs8, &mine, AgentRule::CodeOfConduct).signature,
            ..good.clone()
        },
        RuleCommitment {
            signed_by: line("李四"),
            ..good.clone()
        },
        RuleCommitment {
            signature: Some("not base64!".into()),
            ..good.clone()
        },
    ] {
        assert_eq!(
            bad.check_signature(&org(1), &keys),
            Err(RegistryRule::CommitmentBadSignature { rule })
        );
    }
}
