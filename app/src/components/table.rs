//! Table headers in the house style, so every table of the console reads the same way.

use leptos::prelude::*;

/// One column header.
#[derive(Debug, Clone, Copy)]
pub struct Col {
    pub label: &'static str,
    /// Numbers are right-aligned, under their digits.
    pub right: bool,
    pub title: Option<&'static str>,
}

pub const fn col(label: &'static str) -> Col {
    Col {
        label,
        right: false,
        title: None,
    }
}

pub const fn num(label: &'static str) -> Col {
    Col {
        label,
        right: true,
        title: None,
    }
}

/// `<thead>` with one `<th scope="col">` per column; `class` sets the row's colours (slate by default).
#[component]
pub fn TableHead(
    cols: Vec<Col>,
    #[prop(optional)] class: Option<&'static str>,
    /// Tighter cells, for secondary tables.
    #[prop(optional)]
    dense: bool,
) -> impl IntoView {
    let row = class.unwrap_or("bg-slate-100 text-slate-500");
    let pad = if dense { "px-3 py-1.5" } else { "px-3 py-2" };
    view! {
        <thead class=format!("{row} text-left text-xs uppercase tracking-wide")>
            <tr>
                {cols.into_iter().map(|c| {
                    let align = if c.right { " text-right" } else { "" };
                    view! { <th scope="col" class=format!("{pad}{align}") title=c.title>{c.label}</th> }
                }).collect_view()}
            </tr>
        </thead>
    }
    .into_any()
}
