//! Shows an `AppError` as an operator-readable alert.

use leptos::prelude::*;

use crate::error::AppError;

#[component]
pub fn ErrorPanel(error: AppError) -> impl IntoView {
    let title = match &error {
        AppError::BrokerUnreachable { .. } => "Broker unreachable",
        AppError::UnknownCluster { .. } => "Unknown cluster",
        AppError::UnknownGroup { .. } => "Unknown group",
        AppError::NotAuthorised { .. } => "Not authorised",
        AppError::KafkaAuthentication { .. } => "Kafka refused the credentials",
        AppError::KafkaTls { .. } => "TLS handshake with Kafka failed",
        AppError::Kafka { .. } => "Kafka error",
        AppError::InvalidInput { .. } => "Invalid input",
        AppError::Refused { .. } => "Refused",
        AppError::Plan { .. } => "Cannot plan this reset",
        AppError::GroupActive { .. } => "Group is active",
        AppError::HiddenCommitter { .. } => "A consumer outside the group is committing",
        AppError::Drift { .. } => "Offsets changed since the preview",
        AppError::ExecutionInProgress { .. } => "Another reset is running",
        AppError::TooManyPins { .. } => "Too many pinned groups",
        AppError::ExecutionFailed { .. } => "Execution failed",
        AppError::NotSignedIn => "Not signed in",
        AppError::Forbidden { .. } => "Not allowed",
        AppError::NotFound { .. } => "Not found",
        AppError::Internal { .. } => "Server error",
        AppError::Transport { .. } => "Request failed",
    };
    view! {
        <div role="alert" class="rounded border border-rose-200 bg-rose-50 p-4 text-rose-900" data-testid="error-panel">
            <p class="font-semibold">{title}</p>
            <p class="mt-1 text-sm">{error.to_string()}</p>
        </div>
    }
}
