//! A tender's reference number (招标编号): its project's code and its place among the project's
//! tenders in the order they were drafted, `HN-2026-JY-017-02` for a project's second tender (a
//! re-tender gets the next number). Tenders are never deleted, so a number never changes.

use super::model::Tender;

/// The reference number of `tender`, one of `siblings` (the tenders of its project).
pub fn reference(project_code: &str, tender: &Tender, siblings: &[Tender]) -> String {
    let key = |t: &Tender| (t.created_at, t.id.to_string());
    let place = siblings
        .iter()
        .filter(|t| t.id != tender.id && key(t) < key(tender))
        .count()
        + 1;
    format!("{project_code}-{place:02}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Timestamp;

    fn at(t: &Tender, rfc: &str) -> Tender {
        let mut t = t.clone();
        t.created_at = Timestamp::parse(rfc).unwrap();
        t.id = crate::domain::TenderId::generate();
        t
    }

    #[test]
    fn a_tender_is_numbered_by_its_place_in_its_project() {
        let base = crate::tenders::law::tests::published(
            Timestamp::parse("2027-03-01T01:00:00Z").unwrap(),
        );
        let first = at(&base, "2027-03-01T09:00:00+08:00");
        let second = at(&base, "2027-03-02T09:00:00+08:00");
        let all = vec![second.clone(), first.clone()];
        assert_eq!(reference("HN-1", &first, &all), "HN-1-01");
        assert_eq!(reference("HN-1", &second, &all), "HN-1-02");
        // Not among the siblings yet (a new draft): the next number.
        let third = at(&base, "2027-03-03T09:00:00+08:00");
        assert_eq!(reference("HN-1", &third, &all), "HN-1-03");
    }
}
