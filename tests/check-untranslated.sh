#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# No user-visible string is left out of translation:
#  - in C, a string literal handed to a GTK/libadwaita setter, a dialog, a toast, a menu or a
#    GError message must be wrapped in _() (or N_/C_/NC_/ngettext);
#  - in .ui files, a label, title, tooltip, placeholder, subtitle, description, heading or
#    body property, a menu label attribute and a string-list item must say translatable="yes".
# A literal with no letters ("", "—", "%s: %s") is not counted. Mark a deliberate exception
# with the comment "i18n: not translated" in the same statement (C) or element (.ui).
# Prints file:line for each miss and fails when there is one.
set -euo pipefail
top=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$top"
export LC_ALL=C.UTF-8
shopt -s nullglob globstar

c_files=(ui/*.c ui/form/*.c app/**/*.c sync/**/*.c)
ui_files=(ui/**/*.ui)
status=0

out=$(perl -CSD -Mutf8 -e '
use strict; use warnings;
# function => 0-based indexes of its user-visible arguments
my %visible = (
  gtk_label_new => [0], gtk_label_new_with_mnemonic => [0], gtk_label_set_text => [1],
  gtk_label_set_label => [1], gtk_label_set_markup => [1], gtk_label_set_text_with_mnemonic => [1],
  gtk_button_new_with_label => [0], gtk_button_new_with_mnemonic => [0], gtk_button_set_label => [1],
  gtk_check_button_new_with_label => [0], gtk_check_button_set_label => [1],
  gtk_toggle_button_new_with_label => [0], gtk_menu_button_set_label => [1],
  gtk_window_set_title => [1], gtk_widget_set_tooltip_text => [1], gtk_widget_set_tooltip_markup => [1],
  gtk_entry_set_placeholder_text => [1], gtk_text_set_placeholder_text => [1],
  gtk_search_entry_set_placeholder_text => [1], gtk_editable_set_text => [],
  gtk_file_dialog_set_title => [1], gtk_file_dialog_set_accept_label => [1], gtk_file_filter_set_name => [1],
  gtk_alert_dialog_new => [0], gtk_alert_dialog_set_detail => [1], gtk_alert_dialog_set_message => [1],
  gtk_string_list_append => [1], gtk_column_view_column_new => [0], gtk_column_view_column_set_title => [1],
  gtk_stack_add_titled => [3], gtk_frame_new => [0], gtk_expander_new => [0],
  adw_toast_new => [0], adw_toast_new_format => [0], adw_toast_set_title => [1],
  adw_toast_set_button_label => [1], adw_window_title_new => [0, 1], adw_window_title_set_title => [1],
  adw_window_title_set_subtitle => [1], adw_preferences_row_set_title => [1],
  adw_action_row_set_subtitle => [1], adw_expander_row_set_subtitle => [1],
  adw_status_page_set_title => [1], adw_status_page_set_description => [1],
  adw_preferences_group_set_title => [1], adw_preferences_group_set_description => [1],
  adw_preferences_page_set_title => [1], adw_banner_new => [0], adw_banner_set_title => [1],
  adw_banner_set_button_label => [1], adw_button_content_set_label => [1],
  adw_message_dialog_new => [1, 2], adw_message_dialog_set_heading => [1], adw_message_dialog_set_body => [1],
  adw_message_dialog_format_heading => [1], adw_message_dialog_format_body => [1],
  adw_message_dialog_add_response => [2], adw_alert_dialog_new => [0, 1],
  adw_alert_dialog_set_heading => [1], adw_alert_dialog_set_body => [1],
  adw_alert_dialog_format_heading => [1], adw_alert_dialog_format_body => [1],
  adw_alert_dialog_add_response => [2], adw_about_window_set_comments => [1],
  adw_about_dialog_set_comments => [1], adw_entry_row_set_title => [1],
  g_menu_append => [1], g_menu_insert => [2], g_menu_append_section => [1],
  g_menu_append_submenu => [1], g_menu_item_new => [0],
  g_set_error => [3], g_set_error_literal => [3], g_error_new => [2], g_error_new_literal => [2],
  g_prefix_error => [1], g_propagate_prefixed_error => [2], g_prefix_error_literal => [1],
  g_option_context_new => [0], g_option_context_set_summary => [1], g_option_context_set_description => [1],
);
my $names = join "|", sort keys %visible;
for my $file (@ARGV) {
  open my $fh, "<", $file or die "$file: $!";
  local $/; my $src = <$fh>; close $fh;
  # Blank out comments, keeping line numbers and string literals.
  (my $code = $src) =~ s{("(?:\\.|[^"\\\n])*")|/\*.*?\*/|//[^\n]*}{
    defined $1 ? $1 : do { (my $c = $&) =~ s/[^\n]/ /g; $c } }gse;
  while ($code =~ /\b($names)\s*\(/g) {
    my ($fn, $start, $pos) = ($1, $-[0], $+[0]);
    # Split the arguments at top-level commas.
    my ($depth, $arg, @args) = (1, "");
    while ($pos < length $code && $depth > 0) {
      my $ch = substr $code, $pos, 1;
      if ($ch eq q{"}) {
        substr($code, $pos) =~ /^("(?:\\.|[^"\\])*")/; $arg .= $1; $pos += length $1; next;
      }
      $depth++ if $ch eq "(" ; $depth-- if $ch eq ")";
      if ($depth == 1 && $ch eq ",") { push @args, $arg; $arg = ""; }
      elsif ($depth > 0) { $arg .= $ch; }
      $pos++;
    }
    push @args, $arg;
    # The statement, with the line before it, for an "i18n: not translated" comment.
    my $from = rindex $src, "\n", (rindex $src, "\n", $start - 1) - 1;
    my $stmt = substr $src, $from + 1, $pos - $from - 1;
    next if $stmt =~ /i18n: not translated/;
    for my $i (@{ $visible{$fn} }) {
      next unless defined $args[$i];
      # Drop calls inside the argument: _() and the like, and getters such as
      # dft_record_get_string (r, "title") whose literal is a key; keep formatters.
      my $a = $args[$i];
      1 while $a =~ s/\b(?!(?:g_strdup_printf|g_strdup|g_strconcat|g_markup_printf_escaped)\b)[A-Za-z_]\w*\s*\((?:[^()"]|"(?:\\.|[^"\\])*")*\)//g;
      for my $lit ($a =~ /"((?:\\.|[^"\\])*)"/g) {
        (my $t = $lit) =~ s/%(?:\d+\$)?[-+ #0\x27]*(?:\*|\d+)?(?:\.\d+)?(?:hh|h|ll|l|z|j|t|L)?[a-zA-Z%]//g;
        $t =~ s/\\[nt"\\]//g;
        next unless $t =~ /\p{L}/;
        my $line = 1 + (substr($code, 0, $start) =~ tr/\n//);
        print "$file:$line: $fn: \"$lit\" is not marked for translation\n";
      }
    }
  }
}
' -- "${c_files[@]}")
if [ -n "$out" ]; then printf '%s\n' "$out"; status=1; fi

out=$(perl -CSD -Mutf8 -e '
use strict; use warnings;
my $props = qr/label|title|tooltip-text|tooltip-markup|placeholder-text|subtitle|description|heading|body|text|secondary-text|accept-label|button-label|comments/;
for my $file (@ARGV) {
  open my $fh, "<", $file or die "$file: $!";
  local $/; my $src = <$fh>; close $fh;
  while ($src =~ m{<(property|attribute|item)\b([^>]*)>(.*?)</\1>}gs) {
    my ($tag, $attrs, $text, $at) = ($1, $2, $3, $-[0]);
    next if $tag ne "item" && $attrs !~ /\bname="(?:$props)"/;
    next if $text !~ /\p{L}/ || $text =~ /^\s*</;          # empty, or an object
    next if $attrs =~ /translatable="(?:yes|true|1)"/;
    next if $attrs =~ /comments="[^"]*i18n: not translated/;
    next if $tag eq "property" && $attrs =~ /\bbind-source=/;
    my $line = 1 + (substr($src, 0, $at) =~ tr/\n//);
    (my $name) = $attrs =~ /name="([^"]*)"/; $name //= $tag;
    print "$file:$line: $tag $name \"$text\" lacks translatable=\"yes\"\n";
  }
}
' -- "${ui_files[@]}")
if [ -n "$out" ]; then printf '%s\n' "$out"; status=1; fi

[ $status -eq 0 ] && echo "No untranslated user-visible string in ${#c_files[@]} C files and ${#ui_files[@]} .ui files"
exit $status
