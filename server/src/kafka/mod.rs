//! The Kafka gateway: owns every librdkafka call, reused clients per configured cluster.

mod budget;
mod client;
mod errors;
mod gateway;
pub mod native;

pub use client::client_config;
pub use gateway::{
    reachable, ClusterSample, GatewayError, GatewayOptions, GroupSample, KafkaGateway,
    PartitionSample, TopicSample, FRESH_FOR,
};
