//! Table headers in the house style, so every table of the console reads the same way.

use leptos::prelude::*;

/// One column header.
#[derive(Debug, Clone, Copy)]
pub struct Col {
    pub label: &'static str,
    /// Numbers are right-aligned, under their digits.
    pub right: bool,
    pub title: Option<&'static str>,
    /// Extra classes for the cell: a width, or a breakpoint that hides the column on narrow screens.
    pub class: &'static str,
}

pub const fn col(label: &'static str) -> Col {
    Col {
        label,
        right: false,
        title: None,
        class: "",
    }
}

pub const fn num(label: &'static str) -> Col {
    Col {
        label,
        right: true,
        title: None,
        class: "",
    }
}

impl Col {
    /// The same column with extra cell classes.
    pub const fn with(self, class: &'static str) -> Col {
        Col { class, ..self }
    }

    /// The same column with a tooltip that says what it holds.
    pub const fn titled(self, title: &'static str) -> Col {
        Col {
            title: Some(title),
            ..self
        }
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
    /// Cell padding instead of the default or dense one, for tables nested in a detail row.
    #[prop(optional)]
    pad: Option<&'static str>,
) -> impl IntoView {
    // slate-600 on slate-100: 6.9:1, above WCAG AA's 4.5:1 for this small uppercase text.
    let row = class.unwrap_or("bg-slate-100 text-slate-600");
    let pad = pad.unwrap_or(if dense { "px-3 py-1.5" } else { "px-3 py-2" });
    view! {
        <thead class=format!("{row} text-left text-xs uppercase tracking-wide")>
            <tr>
                {cols.into_iter().map(|c| {
                    let align = if c.right { " text-right" } else { "" };
                    view! { <th scope="col" class=format!("{pad}{align} {}", c.class) title=c.title>{c.label}</th> }
                }).collect_view()}
            </tr>
        </thead>
    }
    .into_any()
}
