//! A plan-form field's message: under the field that caused it, once that field was edited or left,
//! and tied to it for assistive technology (`aria-invalid`, `aria-describedby`, a red border).

use leptos::prelude::*;

use crate::domain::builder::{Field, FormError};

/// Every field, for a submit or a link that shows all messages at once.
pub const ALL_FIELDS: [Field; 5] = [
    Field::Strategy,
    Field::Value,
    Field::Zone,
    Field::Scope,
    Field::Csv,
];

/// The form's one current message, and the fields the operator has edited or left (only those show a
/// message: picking a strategy does not greet the operator with "Enter a date").
#[derive(Clone, Copy)]
pub struct FieldErrors {
    pub error: Signal<Option<FormError>>,
    pub visited: RwSignal<Vec<Field>>,
}

impl FieldErrors {
    /// The message to show under `field`, if any.
    pub fn message(self, field: Field) -> Option<String> {
        let error = self.error.get()?;
        (error.field == field && self.visited.with(|v| v.contains(&field))).then_some(error.message)
    }

    pub fn visit(self, field: Field) {
        if !self.visited.with_untracked(|v| v.contains(&field)) {
            self.visited.update(|v| v.push(field));
        }
    }

    /// A new strategy asks for new values: their messages wait for their own edits again.
    pub fn restart(self) {
        self.visited.update(|v| v.retain(|f| *f == Field::Scope));
    }

    pub fn visit_all(self) {
        self.visited.set(ALL_FIELDS.to_vec());
    }

    /// `aria-invalid` for the field's input.
    pub fn invalid(self, field: Field) -> impl Fn() -> Option<&'static str> + Copy + Send + Sync {
        move || self.message(field).map(|_| "true")
    }

    /// `aria-describedby` for the field's input: its message's id, while there is one.
    pub fn described_by(
        self,
        field: Field,
    ) -> impl Fn() -> Option<&'static str> + Copy + Send + Sync {
        move || self.message(field).map(|_| message_id(field))
    }

    /// The input's classes: `base`, with a red border while the field has a message.
    pub fn class(
        self,
        field: Field,
        base: &'static str,
    ) -> impl Fn() -> String + Copy + Send + Sync {
        move || match self.message(field) {
            Some(_) => format!("{base} border-rose-600 ring-1 ring-rose-600"),
            None => base.to_owned(),
        }
    }
}

fn message_id(field: Field) -> &'static str {
    match field {
        Field::Strategy => "strategy-error",
        Field::Value => "value-error",
        Field::Zone => "zone-error",
        Field::Scope => "scope-error",
        Field::Csv => "csv-error",
    }
}

/// The message under a field, when it has one.
#[component]
pub fn FieldMessage(errors: FieldErrors, field: Field) -> impl IntoView {
    move || {
        errors.message(field).map(|m| {
            view! {
                <p id=message_id(field) role="alert" class="mt-1 text-xs text-rose-700" data-testid="form-error">{m}</p>
            }
        })
    }
}
