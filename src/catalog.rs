//! The callback command words each service knows; the catalogs are the rows in
//! `model::vendor`. A word is checked against its service's catalog, never by prefix.

use crate::model::ServiceName;

/// The two spellings of the room-info-updated event; both are genuine.
pub const UPDATE_ROOM_INFO_SPELLINGS: [&str; 2] = [
    "Room.CallbackAfterUpdateRoomInfo",
    "Room.CallbackUpdateRoomInfo",
];

pub fn is_known(service: ServiceName, word: &str) -> bool {
    service.row().knows(word)
}

/// Whether two words are the two spellings of the same event.
pub fn are_update_room_info_spellings(a: &str, b: &str) -> bool {
    a != b && UPDATE_ROOM_INFO_SPELLINGS.contains(&a) && UPDATE_ROOM_INFO_SPELLINGS.contains(&b)
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
            assert!(is_known(ServiceName::Room, word), "{word}");
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
