//! The callback command words the Room service knows (trtc.io/document/60720).

use crate::model::Service;

/// Every known command word, in the order the vendor documents them.
pub const KNOWN_COMMANDS: &[&str] = Service::ROOM.commands;

/// The two spellings of the room-info-updated event; both are genuine.
pub const UPDATE_ROOM_INFO_SPELLINGS: [&str; 2] = [
    "Room.CallbackAfterUpdateRoomInfo",
    "Room.CallbackUpdateRoomInfo",
];

pub fn is_known(word: &str) -> bool {
    KNOWN_COMMANDS.contains(&word)
}

/// Whether two words are the two spellings of the same event.
pub fn are_update_room_info_spellings(a: &str, b: &str) -> bool {
    a != b && UPDATE_ROOM_INFO_SPELLINGS.contains(&a) && UPDATE_ROOM_INFO_SPELLINGS.contains(&b)
}

/// The sibling service a word belongs to, when it is not a Room word.
pub fn sibling_service(word: &str) -> Option<&'static str> {
    let prefix = word.split('.').next()?;
    match prefix {
        "Live" => Some("live_config (v4/live_config/…)"),
        "Call" => Some("call_config (v4/call_config/…)"),
        _ => None,
    }
}

/// The nearest candidate to `word`, if one is close enough to be a likely typo.
///
/// Comparison ignores ASCII case, so `room.callbackaftercreateroom` still finds its word,
/// and a word that extends a candidate (`warning` for `warn`) counts as near.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lowered = word.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|candidate| {
            let candidate_lower = candidate.to_ascii_lowercase();
            let distance = strsim::damerau_levenshtein(&lowered, &candidate_lower);
            let extends = candidate.len() >= 3 && lowered.starts_with(&candidate_lower);
            (if extends { 1 } else { distance }, candidate)
        })
        .filter(|(distance, candidate)| *distance <= (candidate.len() / 3).max(1))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_update_room_info_spellings_are_known() {
        for word in UPDATE_ROOM_INFO_SPELLINGS {
            assert!(is_known(word), "{word}");
        }
        assert!(are_update_room_info_spellings(
            "Room.CallbackUpdateRoomInfo",
            "Room.CallbackAfterUpdateRoomInfo"
        ));
        assert!(!are_update_room_info_spellings(
            "Room.CallbackUpdateRoomInfo",
            "Room.CallbackUpdateRoomInfo"
        ));
    }

    #[test]
    fn there_are_no_before_callbacks() {
        assert!(!is_known("Room.CallbackBeforeCreateRoom"));
        assert!(KNOWN_COMMANDS.iter().all(|w| !w.contains("Before")));
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
                KNOWN_COMMANDS.iter().copied()
            ),
            Some("Room.CallbackAfterCreateRoom")
        );
        assert_eq!(
            suggest(
                "room.callbackafterdestroyroom",
                KNOWN_COMMANDS.iter().copied()
            ),
            Some("Room.CallbackAfterDestroyRoom")
        );
    }

    #[test]
    fn sibling_services_are_named() {
        assert!(sibling_service("Live.CallbackAfterCreateRoom").is_some());
        assert!(sibling_service("Call.CallbackAfterStart").is_some());
        assert_eq!(sibling_service("Room.Whatever"), None);
    }
}
