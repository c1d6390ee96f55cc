//! The vendor's services as table rows. What differs from one service to the next
//! (the interface paths, the command catalog, the codes for "none" and "exists")
//! is data here: a sibling service is a new row, not a new code path.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::model::Interface;

named! {
/// The RTC Engine service whose callback configuration an app entry describes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub enum ServiceName fn name {
    /// TUIRoomKit: `v4/room_config`.
    #[default]
    Room = "room",
    /// TUILiveKit: `v4/live_config`.
    Live = "live",
    /// TUICallKit: `v4/call_config`.
    Call = "call",
}
}

impl ServiceName {
    pub fn from_name(name: &str) -> Option<ServiceName> {
        ServiceName::ALL.into_iter().find(|s| s.name() == name)
    }

    /// How messages name the service: `Room`, `Live`, `Call`.
    pub fn title(self) -> &'static str {
        match self {
            ServiceName::Room => "Room",
            ServiceName::Live => "Live",
            ServiceName::Call => "Call",
        }
    }

    /// How output names the service beside an SDKAppID, the one place that decides
    /// it: `None` for Room, the service every file and report had before Live and
    /// Call (its ids, keys, variables and messages stay as they were), the service's
    /// name for the others.
    pub fn qualifier(self) -> Option<&'static str> {
        match self {
            ServiceName::Room => None,
            service => Some(service.name()),
        }
    }

    /// `{id}` for Room, `{id}{sep}{name}` for the others: a snapshot key
    /// (`1400000001/live`), a fingerprint, a variable prefix.
    pub fn qualified(self, id: impl std::fmt::Display, sep: &str) -> String {
        match self.qualifier() {
            None => id.to_string(),
            Some(name) => format!("{id}{sep}{name}"),
        }
    }

    /// The service's row in the vendor's table.
    pub fn row(self) -> &'static Service {
        match self {
            ServiceName::Room => &Service::ROOM,
            ServiceName::Live => &Service::LIVE,
            ServiceName::Call => &Service::CALL,
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub struct Service {
    pub name: ServiceName,
    /// The REST paths of the callback interfaces.
    pub get: &'static str,
    pub set: &'static str,
    /// `None` when the service has no update: its `set` overwrites instead.
    pub update: Option<&'static str>,
    pub delete: &'static str,
    /// The token interfaces (get, set), for a service that signs its callbacks.
    pub token: Option<(&'static str, &'static str)>,
    /// Every known callback command word, in the order the vendor documents them.
    pub commands: &'static [&'static str],
    /// The ErrorCode for "no callback configuration exists".
    pub no_configuration: i64,
    /// The ErrorCode for "a configuration exists already".
    pub already_exists: i64,
    /// The ErrorCode of get_callback_token for "no token configured".
    pub no_token: i64,
}

impl Service {
    /// Room (trtc.io/document/60720 for the command words).
    pub const ROOM: Service = Service {
        name: ServiceName::Room,
        get: "v4/room_config/get_callback",
        // Create is `set_callback`: there is no `create_callback`.
        set: "v4/room_config/set_callback",
        update: Some("v4/room_config/update_callback"),
        delete: "v4/room_config/delete_callback",
        token: None,
        commands: &[
            "Room.CallbackAfterCreateRoom",
            "Room.CallbackAfterDestroyRoom",
            "Room.CallbackAfterUpdateRoomInfo",
            "Room.CallbackAfterMemberEnter",
            "Room.CallbackAfterMemberLeave",
            "Mic.CallbackAfterSeatInfoChanged",
            // The older spelling, still used by the get_callback response sample.
            "Room.CallbackUpdateRoomInfo",
        ],
        no_configuration: 100_301,
        already_exists: 100_300,
        no_token: 100_302,
    };

    /// Live (trtc.io/document/64413 for the command words, 64418–64421 and
    /// 69528/69529 for the interfaces).
    pub const LIVE: Service = Service {
        name: ServiceName::Live,
        get: "v4/live_config/get_callback",
        set: "v4/live_config/set_callback",
        update: Some("v4/live_config/update_callback"),
        delete: "v4/live_config/delete_callback",
        token: Some((
            "v4/live_config/get_callback_token",
            "v4/live_config/set_callback_token",
        )),
        commands: &[
            "Live.CallbackAfterCreateRoom",
            "Live.CallbackAfterDestroyRoom",
            "Live.CallbackAfterUpdateRoomInfo",
            "Live.CallbackAfterSetMetadata",
            "Live.CallbackAfterDelMetadata",
            "Live.CallbackAfterCreateRoomReachingThreshold",
            "Live.CallbackAfterMemberStateChanged",
            "Live.CallbackAfterChangeOwner",
            "Live.CallbackAfterModifyAdmin",
            "Mic.CallbackAfterSeatInfoChanged",
            "Live.CallbackAfterCreateBattle",
            "Live.CallbackAfterStartBattle",
            "Live.CallbackAfterEndBattle",
            "Live.CallbackBeforeSendGift",
            "Live.CallbackBeforeCallBackNotBlock",
            "Group.CallbackAfterSendMsg",
            "Group.CallbackBeforeSendMsg",
            "Follow.CallbackAfterFollowAdd",
            "Follow.CallbackAfterFollowDelete",
        ],
        no_configuration: 100_301,
        already_exists: 100_300,
        no_token: 100_302,
    };

    /// Call (trtc.io/document/68934 for the command words, 68937–68939 for the
    /// interfaces). There is no update_callback: set_callback overwrites.
    pub const CALL: Service = Service {
        name: ServiceName::Call,
        get: "v4/call_config/get_callback",
        set: "v4/call_config/set_callback",
        update: None,
        delete: "v4/call_config/delete_callback",
        token: None,
        commands: &[
            "Call.CallbackAfterStartCall",
            "Call.CallbackAfterEndCall",
            "Call.CallbackAfterMemberChanged",
        ],
        no_configuration: 100_301,
        already_exists: 100_300,
        no_token: 100_302,
    };

    /// The interface that replaces an existing configuration: update where the
    /// service has one, else set (which then overwrites).
    pub fn replace(&self) -> Interface {
        match self.update {
            Some(_) => Interface::Update,
            None => Interface::Set,
        }
    }

    /// The interface that reads the token flag (`get_callback_token`); a service
    /// without tokens names its get, so an error about it still names an interface.
    pub fn token_get(&self) -> &'static str {
        self.token.map_or(self.get, |(get, _)| get)
    }

    pub fn path(&self, interface: Interface) -> &'static str {
        match interface {
            Interface::Get => self.get,
            Interface::Set => self.set,
            // Only `replace` picks Update, and never for a service without one.
            Interface::Update => self.update.unwrap_or(self.set),
            Interface::Delete => self.delete,
        }
    }

    pub fn knows(&self, word: &str) -> bool {
        self.commands.contains(&word)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogs_have_the_documented_sizes() {
        assert_eq!(Service::LIVE.commands.len(), 19);
        assert_eq!(Service::CALL.commands.len(), 3);
        for name in ServiceName::ALL {
            assert_eq!(name.row().name, name);
        }
    }

    #[test]
    fn call_replaces_with_set() {
        assert_eq!(Service::CALL.replace(), Interface::Set);
        assert_eq!(Service::LIVE.replace(), Interface::Update);
        assert_eq!(Service::ROOM.replace(), Interface::Update);
        assert_eq!(
            Service::CALL.path(Service::CALL.replace()),
            "v4/call_config/set_callback"
        );
    }

    #[test]
    fn the_seat_word_is_in_room_and_live_only() {
        let word = "Mic.CallbackAfterSeatInfoChanged";
        assert!(Service::ROOM.knows(word));
        assert!(Service::LIVE.knows(word));
        assert!(!Service::CALL.knows(word));
    }
}
