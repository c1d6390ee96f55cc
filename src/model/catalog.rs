//! The callback command words each service knows; the catalogs are the rows in
//! `model::tencent`. A word is checked against its service's catalog, never by prefix.

use super::ServiceName;

/// The two spellings of the room-info-updated event; both are genuine.
pub const UPDATE_ROOM_INFO_SPELLINGS: [&str; 2] = [
    "Room.CallbackAfterUpdateRoomInfo",
    "Room.CallbackUpdateRoomInfo",
];

/// The length of the largest service's catalog: what a real live list stays near.
pub fn largest() -> usize {
    ServiceName::ALL
        .iter()
        .map(|service| service.row().commands.len())
        .max()
        .unwrap_or_default()
}

pub fn is_known(service: ServiceName, word: &str) -> bool {
    service.row().knows(word)
}

/// The other spelling of the room-info-updated event, when `word` is one of them.
pub fn other_update_room_info_spelling(word: &str) -> Option<&'static str> {
    let [a, b] = UPDATE_ROOM_INFO_SPELLINGS;
    match word {
        _ if word == a => Some(b),
        _ if word == b => Some(a),
        _ => None,
    }
}

/// The other service whose catalog has the word, when `service`'s does not.
pub fn sibling_service(service: ServiceName, word: &str) -> Option<ServiceName> {
    if is_known(service, word) {
        return None;
    }
    ServiceName::ALL
        .into_iter()
        .find(|other| *other != service && is_known(*other, word))
}

/// The nearest candidate to `word`, if one is close enough to be a likely typo.
///
/// Comparison ignores ASCII case, so `room.callbackaftercreateroom` still finds its word,
/// and a word that extends a candidate (`warning` for `warn`) counts as near.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lowered = word.to_ascii_lowercase();
    let chars = lowered.chars().count();
    candidates
        .into_iter()
        .filter_map(|candidate| {
            let candidate_lower = candidate.to_ascii_lowercase();
            let near = (candidate.len() / 3).max(1);
            if candidate.len() >= 3 && lowered.starts_with(&candidate_lower) {
                return Some((1, candidate));
            }
            distance_within(&lowered, chars, &candidate_lower, near).map(|d| (d, candidate))
        })
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// The edit distance of two lowercased words (`chars`: the first's length), when it
/// is at most `near`. The distance is at least the difference in length: a word far
/// longer (a key or a live word of a megabyte) is not compared letter by letter,
/// which would cost its length times the candidate's in time and memory.
fn distance_within(lowered: &str, chars: usize, candidate: &str, near: usize) -> Option<usize> {
    if chars.abs_diff(candidate.chars().count()) > near {
        return None;
    }
    let distance = strsim::damerau_levenshtein(lowered, candidate);
    (distance <= near).then_some(distance)
}

/// The catalog word of `service` that `word` is a likely misspelling of, if one is.
///
/// Stricter than [`suggest`]: command words share long prefixes (`Live.CallbackAfter`),
/// so a third of the length would call any other word of the service near. A word
/// is near when at most 15% of its letters differ (two in a word of 14), ignoring
/// ASCII case: a new vendor word is not a typo of an old one.
pub fn suggest_command(service: ServiceName, word: &str) -> Option<&'static str> {
    let lowered = word.to_ascii_lowercase();
    let chars = lowered.chars().count();
    service
        .row()
        .commands
        .iter()
        .copied()
        .filter_map(|candidate| {
            let candidate_lower = candidate.to_ascii_lowercase();
            let longer = chars.max(candidate_lower.chars().count());
            let near = (longer * 3 / 20).max(1);
            distance_within(&lowered, chars, &candidate_lower, near).map(|d| (d, candidate))
        })
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// A word is shaped like a command word: `Service.CallbackEvent` (letters and digits).
pub fn is_word_shaped(word: &str) -> bool {
    let Some((prefix, event)) = word.split_once('.') else {
        return false;
    };
    let letters = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric());
    prefix.starts_with(|c: char| c.is_ascii_uppercase())
        && letters(prefix)
        && event.strip_prefix("Callback").is_some_and(letters)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_update_room_info_spellings_are_known() {
        for word in UPDATE_ROOM_INFO_SPELLINGS {
            assert!(is_known(ServiceName::Room, word), "{word}");
        }
        assert_eq!(
            other_update_room_info_spelling("Room.CallbackUpdateRoomInfo"),
            Some("Room.CallbackAfterUpdateRoomInfo")
        );
        assert_eq!(
            other_update_room_info_spelling("Room.CallbackAfterUpdateRoomInfo"),
            Some("Room.CallbackUpdateRoomInfo")
        );
        assert_eq!(
            other_update_room_info_spelling("Room.CallbackAfterCreateRoom"),
            None
        );
    }

    #[test]
    fn there_are_no_before_callbacks() {
        assert!(!is_known(
            ServiceName::Room,
            "Room.CallbackBeforeCreateRoom"
        ));
        assert!(
            crate::model::Service::ROOM
                .commands
                .iter()
                .all(|w| !w.contains("Before"))
        );
    }

    #[test]
    fn suggests_near_misses_only() {
        let keys = ["commands", "url"];
        assert_eq!(suggest("comands", keys), Some("commands"));
        assert_eq!(suggest("URL", keys), Some("url"));
        assert_eq!(suggest("frobnicate", keys), None);
        assert_eq!(
            suggest("warning", ["error", "warn", "ignore"]),
            Some("warn")
        );
        assert_eq!(
            suggest(
                "Room.CallbackAfterCreateRooom",
                crate::model::Service::ROOM.commands.iter().copied()
            ),
            Some("Room.CallbackAfterCreateRoom")
        );
        assert_eq!(
            suggest(
                "room.callbackafterdestroyroom",
                crate::model::Service::ROOM.commands.iter().copied()
            ),
            Some("Room.CallbackAfterDestroyRoom")
        );
        // A word far longer than any candidate is near none, without being compared
        // letter by letter; one that extends a candidate still is.
        let long = "x".repeat(1 << 20);
        assert_eq!(suggest(&long, keys), None);
        assert_eq!(suggest(&format!("commands{long}"), keys), Some("commands"));
    }

    #[test]
    fn command_suggestions_need_a_near_word() {
        let live = ServiceName::Live;
        // A new vendor word shares the prefix, and nothing more.
        assert_eq!(suggest_command(live, "Live.CallbackAfterFutureThing"), None);
        assert_eq!(
            suggest_command(live, "Live.CallbackAfterSetMetdata"),
            Some("Live.CallbackAfterSetMetadata")
        );
        assert_eq!(
            suggest_command(ServiceName::Room, "room.callbackaftercreateroom"),
            Some("Room.CallbackAfterCreateRoom")
        );
        assert_eq!(
            suggest_command(ServiceName::Room, "Room.CallbackAfterCreateRooom"),
            Some("Room.CallbackAfterCreateRoom")
        );
        assert_eq!(
            suggest_command(ServiceName::Call, &"x".repeat(1 << 20)),
            None
        );
    }

    #[test]
    fn word_shapes() {
        for word in [
            "Live.CallbackAfterFutureThing",
            "Mic.CallbackAfterX2",
            "A.Callbackx",
        ] {
            assert!(is_word_shaped(word), "{word}");
        }
        for word in [
            "Live.AfterThing",
            "live.CallbackAfterThing",
            "Live.Callback",
            "Live.Callback After",
            "LiveCallbackAfterThing",
            "Live.Callback.After",
            ".CallbackAfter",
        ] {
            assert!(!is_word_shaped(word), "{word}");
        }
    }

    #[test]
    fn sibling_services_are_named() {
        let room = ServiceName::Room;
        assert_eq!(
            sibling_service(room, "Live.CallbackAfterCreateRoom"),
            Some(ServiceName::Live)
        );
        assert_eq!(
            sibling_service(room, "Call.CallbackAfterStartCall"),
            Some(ServiceName::Call)
        );
        // Not by prefix: an unknown `Call.` word belongs to no service.
        assert_eq!(sibling_service(room, "Call.CallbackAfterStart"), None);
        assert_eq!(sibling_service(room, "Room.Whatever"), None);
        // The seat word is Room's and Live's, so it is at home in either.
        assert_eq!(
            sibling_service(ServiceName::Live, "Mic.CallbackAfterSeatInfoChanged"),
            None
        );
        assert_eq!(
            sibling_service(ServiceName::Call, "Mic.CallbackAfterSeatInfoChanged"),
            Some(ServiceName::Room)
        );
    }
}
