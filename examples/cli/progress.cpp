#include "progress.hpp"

#include <unistd.h>

namespace meshorch::cli {

bool stdout_is_terminal() {
    return ::isatty(STDOUT_FILENO) == 1;
}

ProgressView::ProgressView(bool live, std::FILE* out) : live_(live), out_(out) {}

void ProgressView::on_event(const Event& event) {
    std::lock_guard lock(mutex_);
    if (!live_) {
        std::fprintf(out_, "%s\n", event.to_string().c_str());
        std::fflush(out_);
        return;
    }
    switch (event.type) {
        case Event::Type::operation:
            operation_line_ = std::string(to_string(event.operation_kind)) + " " + event.service +
                              ": " + to_string(event.operation_state);
            if (!event.message.empty()) operation_line_ += " - " + event.message;
            break;
        case Event::Type::workload:
            if (event.workload) {
                std::string line = to_string(event.workload_state);
                if (!event.message.empty()) line += "  " + event.message;
                workloads_[*event.workload] = std::move(line);
            }
            break;
        case Event::Type::step: return;  // too chatty for the table
    }
    redraw_locked();
}

void ProgressView::redraw_locked() {
    // Move to the top of what was drawn, then rewrite every line (clearing what was there).
    if (drawn_lines_ > 0) std::fprintf(out_, "\033[%dA", drawn_lines_);
    int lines = 0;
    std::fprintf(out_, "\033[2K%s\n", operation_line_.c_str());
    ++lines;
    for (const auto& [id, state] : workloads_) {
        std::fprintf(out_, "\033[2K  %-28s %s\n", id.to_string().c_str(), state.c_str());
        ++lines;
    }
    std::fflush(out_);
    drawn_lines_ = lines;
}

void ProgressView::finish() {
    std::lock_guard lock(mutex_);
    drawn_lines_ = 0;  // keep the last table on screen; new output goes below it
    workloads_.clear();
    operation_line_.clear();
}

}  // namespace meshorch::cli
