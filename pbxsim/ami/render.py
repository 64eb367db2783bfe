"""Turn engine messages into AMI events with Asterisk 22's names, field order and privilege classes."""

from __future__ import annotations

from dataclasses import dataclass

from pbxsim.engine import messages as m
from pbxsim.engine.model import BridgeSnapshot, ChannelSnapshot, PartyId, QueueMemberSnapshot

Fields = list[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class AmiEvent:
    """An event ready to send: name, privilege class list, timestamp and body fields."""

    name: str
    privilege: str
    timestamp: float
    fields: Fields

    def frame_fields(self) -> Fields:
        """Event, Privilege and Timestamp headers first, then the body."""
        return [
            ("Event", self.name),
            ("Privilege", self.privilege),
            ("Timestamp", f"{self.timestamp:.6f}"),
            *self.fields,
        ]


def party(value: str) -> str:
    """Asterisk prints an empty caller/connected field as `<unknown>`."""
    return value if value else "<unknown>"


def channel_block(ch: ChannelSnapshot, prefix: str = "") -> Fields:
    """The standard channel snapshot block (Channel … Linkedid), optionally prefixed (Dest, LocalOne …)."""
    return [
        (f"{prefix}Channel", ch.name),
        (f"{prefix}ChannelState", str(int(ch.state))),
        (f"{prefix}ChannelStateDesc", ch.state.description),
        (f"{prefix}CallerIDNum", party(ch.caller.number)),
        (f"{prefix}CallerIDName", party(ch.caller.name)),
        (f"{prefix}ConnectedLineNum", party(ch.connected.number)),
        (f"{prefix}ConnectedLineName", party(ch.connected.name)),
        (f"{prefix}Language", ch.language),
        (f"{prefix}AccountCode", ch.accountcode),
        (f"{prefix}Context", ch.dialplan.context),
        (f"{prefix}Exten", ch.dialplan.exten),
        (f"{prefix}Priority", str(ch.dialplan.priority)),
        (f"{prefix}Uniqueid", ch.id),
        (f"{prefix}Linkedid", ch.linkedid),
    ]


def bridge_block(bridge: BridgeSnapshot, prefix: str = "") -> Fields:
    """The bridge snapshot block (BridgeUniqueid … BridgeVideoSourceMode)."""
    return [
        (f"{prefix}BridgeUniqueid", bridge.id),
        (f"{prefix}BridgeType", bridge.bridge_type),
        (f"{prefix}BridgeTechnology", bridge.technology),
        (f"{prefix}BridgeCreator", bridge.creator or "<unknown>"),
        (f"{prefix}BridgeName", bridge.name or "<unknown>"),
        (f"{prefix}BridgeNumChannels", str(bridge.num_channels)),
        (f"{prefix}BridgeVideoSourceMode", bridge.video_mode),
    ]


def member_block(member: QueueMemberSnapshot) -> Fields:
    """The QueueMember* event body."""
    return [
        ("Queue", member.queue),
        ("MemberName", member.member_name),
        ("Interface", member.interface),
        ("StateInterface", member.state_interface),
        ("Membership", member.membership),
        ("Penalty", str(member.penalty)),
        ("CallsTaken", str(member.calls_taken)),
        ("LastCall", str(member.last_call)),
        ("LastPause", str(member.last_pause)),
        ("LoginTime", str(member.login_time)),
        ("InCall", "1" if member.in_call else "0"),
        ("Status", str(member.status)),
        ("Paused", "1" if member.paused else "0"),
        ("PausedReason", member.paused_reason),
        ("Ringinuse", "1" if member.ringinuse else "0"),
        ("Wrapuptime", str(member.wrapup)),
    ]


def _dial(msg: m.DialBegun | m.DialStateChanged | m.DialEnded) -> Fields:
    fields: Fields = []
    if msg.caller is not None:
        fields += channel_block(msg.caller)
    fields += channel_block(msg.peer, "Dest")
    return fields


def render(msg: m.EngineMessage) -> list[AmiEvent]:
    """The AMI events (usually one, sometimes none) for an engine message."""
    t = msg.timestamp

    def ev(name: str, privilege: str, fields: Fields) -> list[AmiEvent]:
        return [AmiEvent(name, privilege, t, fields)]

    match msg:
        case m.ChannelCreated():
            return ev("Newchannel", "call,all", channel_block(msg.channel))
        case m.ChannelStateChanged():
            return ev("Newstate", "call,all", channel_block(msg.channel))
        case m.ChannelDialplanEntered():
            loc = msg.channel.dialplan
            return ev(
                "Newexten",
                "dialplan,all",
                [
                    *channel_block(msg.channel),
                    ("Extension", loc.exten),
                    ("Application", loc.app_name),
                    ("AppData", loc.app_data),
                ],
            )
        case m.ChannelVarSet():
            body: Fields = (
                channel_block(msg.channel)
                if msg.channel is not None
                else [("Channel", "none"), ("Uniqueid", "none")]
            )
            return ev("VarSet", "dialplan,all", [*body, ("Variable", msg.variable), ("Value", msg.value)])
        case m.ChannelCallerIdChanged():
            pres = f"{msg.caller_presentation} ({msg.caller_presentation_txt})"
            return ev("NewCallerid", "call,all", [*channel_block(msg.channel), ("CID-CallingPres", pres)])
        case m.ChannelConnectedLineChanged():
            return ev("NewConnectedLine", "call,all", channel_block(msg.channel))
        case m.ChannelHangupRequested():
            name = "SoftHangupRequest" if msg.soft else "HangupRequest"
            return ev(name, "call,all", [*channel_block(msg.channel), ("Cause", str(msg.cause))])
        case m.ChannelEnded():
            return ev(
                "Hangup",
                "call,all",
                [*channel_block(msg.channel), ("Cause", str(msg.cause)), ("Cause-txt", msg.cause_txt)],
            )
        case m.LocalChannelsPaired():
            return ev(
                "LocalBridge",
                "call,all",
                [
                    *channel_block(msg.one, "LocalOne"),
                    *channel_block(msg.two, "LocalTwo"),
                    ("Context", msg.context),
                    ("Exten", msg.exten),
                    ("LocalOptimization", "Yes" if not msg.local_optimization else "No"),
                ],
            )
        case m.DeviceStateChanged():
            return ev("DeviceStateChange", "call,all", [("Device", msg.device), ("State", msg.state)])
        case m.CdrPosted():
            return ev("Cdr", "cdr,all", list(msg.fields))
        case m.DialBegun():
            return ev("DialBegin", "call,all", [*_dial(msg), ("DialString", msg.dialstring)])
        case m.DialStateChanged():
            return ev("DialState", "call,all", [*_dial(msg), ("DialStatus", msg.dialstatus)])
        case m.DialEnded():
            return ev("DialEnd", "call,all", [*_dial(msg), ("DialStatus", msg.dialstatus)])
        case m.BridgeCreated():
            return ev("BridgeCreate", "call,all", bridge_block(msg.bridge))
        case m.BridgeDestroyed():
            return ev("BridgeDestroy", "call,all", bridge_block(msg.bridge))
        case m.ChannelEnteredBridge():
            return ev("BridgeEnter", "call,all", [*bridge_block(msg.bridge), *channel_block(msg.channel)])
        case m.ChannelLeftBridge():
            return ev("BridgeLeave", "call,all", [*bridge_block(msg.bridge), *channel_block(msg.channel)])
        case m.BridgesMerged():
            return ev(
                "BridgeMerge",
                "call,all",
                [*bridge_block(msg.target, "To"), *bridge_block(msg.source, "From")],
            )
        case m.DtmfBegun():
            return ev(
                "DTMFBegin",
                "dtmf,all",
                [*channel_block(msg.channel), ("Digit", msg.digit), ("Direction", msg.direction)],
            )
        case m.DtmfEnded():
            return ev(
                "DTMFEnd",
                "dtmf,all",
                [
                    *channel_block(msg.channel),
                    ("Digit", msg.digit),
                    ("DurationMs", str(msg.duration_ms)),
                    ("Direction", msg.direction),
                ],
            )
        case m.MusicOnHoldStarted():
            return ev("MusicOnHoldStart", "call,all", [*channel_block(msg.channel), ("Class", msg.moh_class)])
        case m.MusicOnHoldStopped():
            return ev("MusicOnHoldStop", "call,all", channel_block(msg.channel))
        case m.ChannelHeld():
            return ev("Hold", "call,all", channel_block(msg.channel))
        case m.ChannelUnheld():
            return ev("Unhold", "call,all", channel_block(msg.channel))
        case m.MixMonitorStarted():
            return ev("MixMonitorStart", "call,all", channel_block(msg.channel))
        case m.MixMonitorStopped():
            return ev("MixMonitorStop", "call,all", channel_block(msg.channel))
        case m.MixMonitorMuted():
            return ev(
                "MixMonitorMute",
                "call,all",
                [
                    *channel_block(msg.channel),
                    ("Direction", msg.direction),
                    ("State", "1" if msg.state else "0"),
                ],
            )
        case m.ChanSpyStarted():
            return ev(
                "ChanSpyStart",
                "call,all",
                [*channel_block(msg.spyer, "Spyer"), *channel_block(msg.spyee, "Spyee")],
            )
        case m.ChanSpyStopped():
            spyee = channel_block(msg.spyee, "Spyee") if msg.spyee is not None else []
            return ev("ChanSpyStop", "call,all", [*channel_block(msg.spyer, "Spyer"), *spyee])
        case m.UserEventRaised():
            body = channel_block(msg.channel) if msg.channel is not None else []
            return ev("UserEvent", "user,all", [*body, ("UserEvent", msg.name), *msg.headers])
        case m.QueueCallerJoined():
            return ev(
                "QueueCallerJoin",
                "agent,all",
                [
                    *channel_block(msg.caller),
                    ("Queue", msg.queue),
                    ("Position", str(msg.position)),
                    ("Count", str(msg.count)),
                ],
            )
        case m.QueueCallerLeft():
            return ev(
                "QueueCallerLeave",
                "agent,all",
                [
                    *channel_block(msg.caller),
                    ("Queue", msg.queue),
                    ("Position", str(msg.position)),
                    ("Count", str(msg.count)),
                ],
            )
        case m.QueueCallerAbandoned():
            return ev(
                "QueueCallerAbandon",
                "agent,all",
                [
                    *channel_block(msg.caller),
                    ("Queue", msg.queue),
                    ("Position", str(msg.position)),
                    ("OriginalPosition", str(msg.original_position)),
                    ("HoldTime", str(msg.hold_time)),
                ],
            )
        case m.AgentCalled():
            return ev(
                "AgentCalled",
                "agent,all",
                [
                    *channel_block(msg.caller),
                    *channel_block(msg.agent_channel, "Dest"),
                    ("Queue", msg.queue),
                    ("Interface", msg.member.interface),
                    ("MemberName", msg.member.member_name),
                ],
            )
        case m.AgentConnected():
            return ev(
                "AgentConnect",
                "agent,all",
                [
                    *channel_block(msg.caller),
                    *channel_block(msg.agent_channel, "Dest"),
                    ("Queue", msg.queue),
                    ("Interface", msg.member.interface),
                    ("MemberName", msg.member.member_name),
                    ("HoldTime", str(msg.hold_time)),
                    ("RingTime", str(msg.ring_time)),
                ],
            )
        case m.AgentCompleted():
            blocks: Fields = []
            if msg.caller is not None:
                blocks += channel_block(msg.caller)
            if msg.agent_channel is not None:
                blocks += channel_block(msg.agent_channel, "Dest")
            return ev(
                "AgentComplete",
                "agent,all",
                [
                    *blocks,
                    ("Queue", msg.queue),
                    ("Interface", msg.member.interface),
                    ("MemberName", msg.member.member_name),
                    ("HoldTime", str(msg.hold_time)),
                    ("TalkTime", str(msg.talk_time)),
                    ("Reason", msg.reason),
                ],
            )
        case m.AgentRingNoAnswer():
            return ev(
                "AgentRingNoAnswer",
                "agent,all",
                [
                    *channel_block(msg.caller),
                    *channel_block(msg.agent_channel, "Dest"),
                    ("Queue", msg.queue),
                    ("Interface", msg.member.interface),
                    ("MemberName", msg.member.member_name),
                    ("RingTime", str(msg.ring_time_ms)),
                ],
            )
        case m.QueueMemberChanged():
            return ev(f"QueueMember{msg.kind}", "agent,all", member_block(msg.member))
        case m.ConfbridgeChanged():
            fields: Fields = [("Conference", msg.conference), *bridge_block(msg.bridge)]
            if msg.channel is not None:
                fields += channel_block(msg.channel)
                fields.append(("Admin", "Yes" if msg.admin else "No"))
                if msg.kind == "Join":
                    fields.append(("Muted", "Yes" if msg.muted else "No"))
            return ev(f"Confbridge{msg.kind}", "call,all", fields)
        case m.BlindTransferred():
            transferee = channel_block(msg.transferee, "Transferee") if msg.transferee else []
            bridge = bridge_block(msg.bridge) if msg.bridge else []
            return ev(
                "BlindTransfer",
                "call,all",
                [
                    ("Result", msg.result),
                    *channel_block(msg.transferer, "Transferer"),
                    *transferee,
                    *bridge,
                    ("IsExternal", "Yes" if msg.is_external else "No"),
                    ("Context", msg.context),
                    ("Extension", msg.extension),
                ],
            )
        case m.AttendedTransferred():
            fields = [("Result", msg.result), *channel_block(msg.original_transferer, "OrigTransferer")]
            if msg.original_bridge is not None:
                fields += bridge_block(msg.original_bridge, "Orig")
            fields += channel_block(msg.secondary_transferer, "SecondTransferer")
            if msg.secondary_bridge is not None:
                fields += bridge_block(msg.secondary_bridge, "Second")
            if msg.transferee is not None:
                fields += channel_block(msg.transferee, "Transferee")
            if msg.transfer_target is not None:
                fields += channel_block(msg.transfer_target, "TransferTarget")
            fields += [("IsExternal", "Yes" if msg.is_external else "No"), ("DestType", msg.dest_type)]
            if msg.dest_type == "Bridge":
                fields.append(("DestBridgeUniqueid", msg.dest_bridge_id))
            return ev("AttendedTransfer", "call,all", fields)
        case m.ParkedCallChanged():
            return ev(
                msg.kind,
                "call,all",
                [
                    *channel_block(msg.parkee, "Parkee"),
                    ("ParkerDialString", msg.parker_dial_string),
                    ("Parkinglot", msg.parking_lot),
                    ("ParkingSpace", msg.parking_space),
                    ("ParkingTimeout", str(msg.timeout)),
                    ("ParkingDuration", str(msg.duration)),
                ],
            )
    return []


def unknown_party(party_id: PartyId) -> tuple[str, str]:
    """Caller id number and name as AMI prints them."""
    return party(party_id.number), party(party_id.name)
