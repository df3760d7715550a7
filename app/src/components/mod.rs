//! Building blocks shared by pages.

pub mod confirm_dialog;
pub mod copy_button;
pub mod draw_later;
pub mod error_panel;
pub mod execution_result;
pub mod field_error;
pub mod group_list;
pub mod history;
pub mod hydrate_later;
pub mod lag_chart;
pub mod plan_area;
pub mod plan_form;
pub mod plan_view;
pub mod refresh_button;
pub mod reset_panel;
pub mod session;
pub mod shown_plan;
pub mod state_badge;
pub mod table;
