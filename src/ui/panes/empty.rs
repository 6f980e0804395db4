//! The honest empty state of a pane whose capability has not landed.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{Data, Handled, Pane, PaneCtx, PaneId};
use crate::model::Status;
use crate::ui::action::Action;
use crate::ui::theme::Role;

pub struct EmptyPane {
    id: PaneId,
    headline: &'static str,
    detail: &'static str,
    filter: String,
}

impl EmptyPane {
    pub fn new(id: PaneId, headline: &'static str, detail: &'static str) -> EmptyPane {
        EmptyPane {
            id,
            headline,
            detail,
            filter: String::new(),
        }
    }
}

impl Pane for EmptyPane {
    fn id(&self) -> PaneId {
        self.id
    }

    fn handle(&mut self, _action: Action, _data: &Data) -> Handled {
        Handled::No
    }

    fn filter(&self) -> &str {
        &self.filter
    }

    fn set_filter(&mut self, filter: &str) {
        self.filter = filter.to_string();
    }

    fn worst(&self, _data: &Data) -> Option<Status> {
        None
    }

    fn summary(&self, _data: &Data) -> String {
        "nothing configured".into()
    }

    fn render(&self, frame: &mut Frame, area: Rect, ctx: &PaneCtx) {
        let lines = vec![
            Line::from(Span::styled(self.headline, ctx.theme.style(Role::Text))),
            Line::from(Span::styled(self.detail, ctx.theme.style(Role::Muted))),
        ];
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), area);
    }
}
