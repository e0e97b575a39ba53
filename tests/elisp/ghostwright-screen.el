;;; ghostwright-screen.el --- Terminal Emacs showing ghost text, driven by tmux -*- lexical-binding: t; -*-

;;; Commentary:

;; Loaded by tests/emacs/test_emacs.py in `emacs -nw' inside tmux: visits
;; GWT_FILE at GWT_LINE/GWT_COLUMN, asks the server for a completion
;; (or, when GWT_GHOST is set, shows that text: the drawing is the
;; subject, not the model) and, once the final ghost text shows,
;; writes it to GWT_DONE.

;;; Code:

(require 'ghostwright)

(setq ghostwright-server-command (list (getenv "GHOSTWRIGHT_SERVER") "serve")
      ghostwright-initialization-options '(:completion (:debounceMs 0 :maxTokens 32))
      inhibit-startup-screen t)
(menu-bar-mode -1)

(find-file (getenv "GWT_FILE"))
(goto-char (point-min))
(forward-line (1- (string-to-number (getenv "GWT_LINE"))))
(move-to-column (string-to-number (getenv "GWT_COLUMN")))
(ghostwright-mode 1)
(add-hook 'ghostwright-show-functions
          (lambda (text final)
            (when final
              (with-temp-file (getenv "GWT_DONE") (insert text))))
          nil t)
(let ((ghost (getenv "GWT_GHOST")))
  (if ghost
      (run-with-timer 0.5 nil (lambda () (ghostwright--display (list ghost) t)))
    (run-with-timer 0.5 nil #'ghostwright-complete)))

(provide 'ghostwright-screen)
;;; ghostwright-screen.el ends here
