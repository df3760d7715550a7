//! ListConsumerGroups and DescribeConsumerGroups: which groups exist, their state, members and assignments.

use std::os::raw::c_char;
use std::time::Duration;

use rdkafka::bindings as rd;

use super::raw::{batch_names, call_one, call_pipelined, cstring, error_of, Event};
use super::{Handle, NativeError};

/// The KIP-848 group type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupType {
    Classic,
    Consumer,
    Unknown,
}

fn group_type(t: rd::rd_kafka_consumer_group_type_t) -> GroupType {
    match t {
        rd::rd_kafka_consumer_group_type_t::RD_KAFKA_CONSUMER_GROUP_TYPE_CLASSIC => {
            GroupType::Classic
        }
        rd::rd_kafka_consumer_group_type_t::RD_KAFKA_CONSUMER_GROUP_TYPE_CONSUMER => {
            GroupType::Consumer
        }
        _ => GroupType::Unknown,
    }
}

/// The name librdkafka's `rd_kafka_consumer_group_state_name` gives `s`, without a copy per group.
pub(super) fn state_name(s: rd::rd_kafka_consumer_group_state_t) -> &'static str {
    use rd::rd_kafka_consumer_group_state_t as S;
    match s {
        S::RD_KAFKA_CONSUMER_GROUP_STATE_PREPARING_REBALANCE => "PreparingRebalance",
        S::RD_KAFKA_CONSUMER_GROUP_STATE_COMPLETING_REBALANCE => "CompletingRebalance",
        S::RD_KAFKA_CONSUMER_GROUP_STATE_STABLE => "Stable",
        S::RD_KAFKA_CONSUMER_GROUP_STATE_DEAD => "Dead",
        S::RD_KAFKA_CONSUMER_GROUP_STATE_EMPTY => "Empty",
        _ => "Unknown",
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupListing {
    pub group_id: String,
    pub state: &'static str,
    pub group_type: GroupType,
    /// A group that only ever committed offsets (no member protocol).
    pub simple: bool,
}

#[derive(Debug, Clone, Default)]
pub struct GroupListings {
    pub groups: Vec<GroupListing>,
    /// Brokers that failed to answer: the list may be incomplete.
    pub errors: Vec<NativeError>,
}

/// Every consumer group of the cluster (one ListGroups per broker, merged by librdkafka).
pub fn list_consumer_groups(
    rk: Handle<'_>,
    timeout: Duration,
) -> Result<GroupListings, NativeError> {
    const OP: &str = "ListConsumerGroups";
    let ev = call_one(
        rk,
        rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS,
        OP,
        rd::RD_KAFKA_EVENT_LISTCONSUMERGROUPS_RESULT,
        timeout,
        |_| Ok(()),
        // SAFETY: client, options and queue are live; the call copies the options.
        |opts, q| unsafe {
            rd::rd_kafka_ListConsumerGroups(rk.as_ptr(), opts.as_ptr(), q.as_ptr())
        },
    )?;
    // SAFETY: the accessor is called on the event it reads, which `check` saw is of this type.
    let res = unsafe {
        ev.result(
            OP,
            rd::rd_kafka_event_ListConsumerGroups_result(ev.as_ptr()),
        )
    }?;
    let mut n = 0usize;
    // SAFETY: `res` is live; `n` receives the array's length.
    let valid = unsafe { rd::rd_kafka_ListConsumerGroups_result_valid(res, &mut n) };
    let mut out = GroupListings::default();
    // SAFETY: the array and its listings are owned by `ev`.
    for g in unsafe { ev.owned_array(valid, n) } {
        // SAFETY: `g` is a live listing; its group id belongs to `ev`.
        let Some(group_id) = (unsafe { ev.string(rd::rd_kafka_ConsumerGroupListing_group_id(g)) })
        else {
            continue;
        };
        out.groups.push(GroupListing {
            group_id,
            // SAFETY: `g` is a live listing.
            state: state_name(unsafe { rd::rd_kafka_ConsumerGroupListing_state(g) }),
            // SAFETY: as above.
            group_type: group_type(unsafe { rd::rd_kafka_ConsumerGroupListing_type(g) }),
            // SAFETY: as above.
            simple: unsafe { rd::rd_kafka_ConsumerGroupListing_is_simple_consumer_group(g) } != 0,
        });
    }
    let mut ne = 0usize;
    // SAFETY: `res` is live; `ne` receives the array's length.
    let errors = unsafe { rd::rd_kafka_ListConsumerGroups_result_errors(res, &mut ne) };
    // SAFETY: the array and its error objects are owned by `ev`.
    for e in unsafe { ev.owned_array(errors, ne) } {
        out.errors.push(error_of(OP, e));
    }
    Ok(out)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub id: i32,
    pub host: String,
    pub port: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberDescription {
    pub member_id: String,
    pub client_id: String,
    pub host: String,
    pub group_instance_id: Option<String>,
    pub assignment: Vec<(String, i32)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDescription {
    pub group_id: String,
    /// Set when this one group could not be described; the other fields are then defaults.
    pub error: Option<NativeError>,
    pub state: &'static str,
    pub group_type: GroupType,
    pub simple: bool,
    pub assignor: String,
    pub coordinator: Option<Node>,
    pub members: Vec<MemberDescription>,
}

/// librdkafka sends one request per group and merges results in O(n^2): describe in chunks.
const DESCRIBE_CHUNK: usize = 250;

/// Describes `groups` (any number; chunked internally), in input order.
pub fn describe_consumer_groups(
    rk: Handle<'_>,
    groups: &[String],
    timeout: Duration,
) -> Result<Vec<GroupDescription>, NativeError> {
    const OP: &str = "DescribeConsumerGroups";
    let mut out = Vec::with_capacity(groups.len());
    for chunk in groups.chunks(DESCRIBE_CHUNK) {
        let names = chunk
            .iter()
            .map(|g| cstring(OP, g))
            .collect::<Result<Vec<_>, _>>()?;
        let mut ptrs: Vec<*const c_char> = names.iter().map(|c| c.as_ptr()).collect();
        let ev = call_one(
            rk,
            rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS,
            OP,
            rd::RD_KAFKA_EVENT_DESCRIBECONSUMERGROUPS_RESULT,
            timeout,
            |_| Ok(()),
            // SAFETY: `names` outlives the call, `ptrs` holds ptrs.len() of them, and librdkafka copies
            // the names before returning.
            |opts, q| unsafe {
                rd::rd_kafka_DescribeConsumerGroups(
                    rk.as_ptr(),
                    ptrs.as_mut_ptr(),
                    ptrs.len(),
                    opts.as_ptr(),
                    q.as_ptr(),
                )
            },
        )?;
        out.extend(read_descriptions(&ev)?);
    }
    Ok(out)
}

// The vendored librdkafka's sixth patch (vendor/README.md); rdkafka-sys's pregenerated bindings predate
// it. Same contract as `rd_kafka_DescribeConsumerGroups`, with every group sent in one request.
extern "C" {
    fn rd_kafka_DescribeConsumerGroups_one_coordinator(
        rk: *mut rd::rd_kafka_t,
        groups: *mut *const c_char,
        groups_cnt: usize,
        options: *const rd::rd_kafka_AdminOptions_t,
        rkqu: *mut rd::rd_kafka_queue_t,
    );
}

/// Describes each of `batches` in one ConsumerGroupDescribe (and one DescribeGroups for its classic
/// groups) sent to the coordinator of the batch's first group, at most `in_flight` batches at once.
/// Each batch answers with its groups' descriptions; a group that coordinator does not own comes back
/// with NOT_COORDINATOR, to be asked for again with [`describe_consumer_groups`].
pub fn describe_consumer_groups_batched(
    rk: Handle<'_>,
    batches: &[Vec<String>],
    timeout: Duration,
    in_flight: usize,
) -> Result<Vec<Result<Vec<GroupDescription>, NativeError>>, NativeError> {
    const OP: &str = "DescribeConsumerGroups";
    call_pipelined(
        rk,
        rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS,
        OP,
        rd::RD_KAFKA_EVENT_DESCRIBECONSUMERGROUPS_RESULT,
        timeout,
        batches.len(),
        in_flight,
        |i, opts, q| {
            let names = batch_names(OP, &batches[i])?;
            let mut ptrs: Vec<*const c_char> = names.iter().map(|c| c.as_ptr()).collect();
            // SAFETY: client, options and queue are live; `names` outlives the call, `ptrs` holds
            // ptrs.len() of them, and librdkafka copies the names and the options before returning.
            unsafe {
                rd_kafka_DescribeConsumerGroups_one_coordinator(
                    rk.as_ptr(),
                    ptrs.as_mut_ptr(),
                    ptrs.len(),
                    opts.as_ptr(),
                    q.as_ptr(),
                )
            };
            Ok(())
        },
        |_, ev| read_descriptions(ev),
    )
}

/// Copies every description out of a DescribeConsumerGroups result event.
fn read_descriptions(ev: &Event<'_>) -> Result<Vec<GroupDescription>, NativeError> {
    const OP: &str = "DescribeConsumerGroups";
    // SAFETY: the accessor is called on the event it reads, of the type `check` saw.
    let res = unsafe {
        ev.result(
            OP,
            rd::rd_kafka_event_DescribeConsumerGroups_result(ev.as_ptr()),
        )
    }?;
    let mut n = 0usize;
    // SAFETY: `res` is live; `n` receives the array's length.
    let descs = unsafe { rd::rd_kafka_DescribeConsumerGroups_result_groups(res, &mut n) };
    // SAFETY: the array and its descriptions are owned by `ev`.
    let descs = unsafe { ev.owned_array(descs, n) };
    Ok(descs.into_iter().map(|d| read_description(ev, d)).collect())
}

/// Copies one description out of the event that owns it.
fn read_description(
    ev: &Event<'_>,
    d: &rd::rd_kafka_ConsumerGroupDescription_t,
) -> GroupDescription {
    const OP: &str = "DescribeConsumerGroups";
    // SAFETY: `d` is a live description, and everything it returns is owned by `ev`.
    let group_id = unsafe { ev.string(rd::rd_kafka_ConsumerGroupDescription_group_id(d)) };
    // SAFETY: as above.
    let error = unsafe { ev.owned(rd::rd_kafka_ConsumerGroupDescription_error(d)) }
        .map(|e| error_of(OP, e));
    // SAFETY: as above.
    let coordinator = unsafe { ev.owned(rd::rd_kafka_ConsumerGroupDescription_coordinator(d)) }
        .map(|node| read_node(ev, node));
    // SAFETY: as above.
    let count = unsafe { rd::rd_kafka_ConsumerGroupDescription_member_count(d) };
    let members = (0..count)
        // SAFETY: `i` is below the member count; the member is owned by `ev`.
        .filter_map(|i| unsafe { ev.owned(rd::rd_kafka_ConsumerGroupDescription_member(d, i)) })
        .map(|m| read_member(ev, m))
        .collect();
    GroupDescription {
        group_id: group_id.unwrap_or_default(),
        error,
        // SAFETY: as above.
        state: state_name(unsafe { rd::rd_kafka_ConsumerGroupDescription_state(d) }),
        // SAFETY: as above.
        group_type: group_type(unsafe { rd::rd_kafka_ConsumerGroupDescription_type(d) }),
        // SAFETY: as above.
        simple: unsafe { rd::rd_kafka_ConsumerGroupDescription_is_simple_consumer_group(d) } != 0,
        // SAFETY: as above.
        assignor: unsafe { ev.string(rd::rd_kafka_ConsumerGroupDescription_partition_assignor(d)) }
            .unwrap_or_default(),
        coordinator,
        members,
    }
}

fn read_node(ev: &Event<'_>, node: &rd::rd_kafka_Node_t) -> Node {
    Node {
        // SAFETY: `node` is live, owned by `ev`.
        id: unsafe { rd::rd_kafka_Node_id(node) },
        // SAFETY: as above; the host string belongs to `ev`.
        host: unsafe { ev.string(rd::rd_kafka_Node_host(node)) }.unwrap_or_default(),
        // SAFETY: as above.
        port: unsafe { rd::rd_kafka_Node_port(node) },
    }
}

fn read_member(ev: &Event<'_>, m: &rd::rd_kafka_MemberDescription_t) -> MemberDescription {
    // SAFETY: `m` is a live member owned by `ev`; so is its assignment.
    let assignment = unsafe { ev.owned(rd::rd_kafka_MemberDescription_assignment(m)) };
    let mut partitions: Vec<(String, i32)> = assignment
        // SAFETY: the assignment's partition list is owned by `ev`.
        .map(|a| unsafe { ev.partitions(rd::rd_kafka_MemberAssignment_partitions(a)) })
        .unwrap_or_default()
        .iter()
        .filter_map(|e| Some((e.topic()?, e.partition())))
        .collect();
    partitions.sort();
    MemberDescription {
        // SAFETY: the strings below belong to `m`, owned by `ev`.
        member_id: unsafe { ev.string(rd::rd_kafka_MemberDescription_consumer_id(m)) }
            .unwrap_or_default(),
        // SAFETY: as above.
        client_id: unsafe { ev.string(rd::rd_kafka_MemberDescription_client_id(m)) }
            .unwrap_or_default(),
        // SAFETY: as above.
        host: unsafe { ev.string(rd::rd_kafka_MemberDescription_host(m)) }.unwrap_or_default(),
        // SAFETY: as above.
        group_instance_id: unsafe {
            ev.string(rd::rd_kafka_MemberDescription_group_instance_id(m))
        },
        assignment: partitions,
    }
}
