//! The vendor's services as table rows. What differs from one service to the next
//! (the interface paths, the command catalog, the codes for "none" and "exists")
//! is data here: a sibling service is a new row, not a new code path.

use crate::model::Interface;

#[derive(Debug, PartialEq, Eq)]
pub struct Service {
    /// The REST paths of the callback interfaces.
    pub get: &'static str,
    pub set: &'static str,
    pub update: &'static str,
    pub delete: &'static str,
    /// Every known callback command word, in the order the vendor documents them.
    pub commands: &'static [&'static str],
    /// The ErrorCode for "no callback configuration exists".
    pub no_configuration: i64,
    /// The ErrorCode for "a configuration exists already".
    pub already_exists: i64,
}

impl Service {
    /// Room (trtc.io/document/60720 for the command words).
    pub const ROOM: Service = Service {
        get: "v4/room_config/get_callback",
        // Create is `set_callback`: there is no `create_callback`.
        set: "v4/room_config/set_callback",
        update: "v4/room_config/update_callback",
        delete: "v4/room_config/delete_callback",
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
    };

    pub fn path(&self, interface: Interface) -> &'static str {
        match interface {
            Interface::Get => self.get,
            Interface::Set => self.set,
            Interface::Update => self.update,
            Interface::Delete => self.delete,
        }
    }
}
