;;; feedback-driver.el --- Terminal Emacs for the feedback test, driven by tmux -*- lexical-binding: t; -*-

;;; Commentary:

;; Loaded by tests/test_emacs_feedback.py in `emacs -nw' inside tmux.
;; Visits GWT_FILE at GWT_LINE/GWT_COLUMN with ghostwright over the
;; transport GWT_TRANSPORT (standalone, eglot or lsp), its server
;; GWT_SERVER (the real server with a scripted backend).  The test
;; types the keys; these keys are the test's own:
;;   <f6>  ask for a completion (automatic requests are off, so every
;;         suggestion shown is one the test asked for);
;;   <f7>  write the server's `ghostwright/status' to GWT_STATUS;
;;   <f8>  stop the server (it saves its counts) and leave Emacs.
;; GWT_READY is written once the transport serves the buffer.

;;; Code:

(setq package-directory-list (list "/usr/share/emacs/site-lisp/elpa"))
(package-initialize)
(require 'json)
(require 'ghostwright)
(require 'python)

(defvar gwt-transport (intern (getenv "GWT_TRANSPORT")))

(setq ghostwright-server-command (split-string (getenv "GWT_SERVER") " ")
      ghostwright-initialization-options
      '(:completion (:debounceMs 0 :cacheEntries 0)
        :feedback (:retentionFirstS 3.0 :retentionSecondS 10.0))
      ;; Only <f6> asks: the counts are the test's keys, not the idle timer's.
      ghostwright-idle-delay 36000
      ghostwright-transport gwt-transport
      inhibit-startup-screen t
      make-backup-files nil)
(menu-bar-mode -1)

(defun gwt-dump-status ()
  "Write the server's status as JSON to GWT_STATUS."
  (interactive)
  (let ((file (getenv "GWT_STATUS")))
    (ghostwright--fetch-status
     (ghostwright--current-transport)
     (lambda (status)
       (let ((json-encoding-pretty-print nil))
         (with-temp-file (concat file ".tmp") (insert (json-encode status))))
       (rename-file (concat file ".tmp") file t)))))

(defun gwt-quit ()
  "Stop the server, then Emacs."
  (interactive)
  (set-buffer-modified-p nil)
  (pcase gwt-transport
    ('standalone (ghostwright-shutdown))
    (_ (ghostwright-shutdown)
       (let ((deadline (+ (float-time) 10)))
         (while (and (ghostwright--client-connection gwt-transport) (< (float-time) deadline))
           (accept-process-output nil 0.1)))))
  (kill-emacs 0))

(add-hook 'ghostwright-show-functions
          (lambda (text final)
            (when final
              (with-temp-file (getenv "GWT_SHOWN") (insert text)))))

(push 'gwt-dump-status ghostwright--own-commands)
(global-set-key (kbd "<f6>") #'ghostwright-complete)
(global-set-key (kbd "<f7>") #'gwt-dump-status)
(global-set-key (kbd "<f8>") #'gwt-quit)

(find-file (getenv "GWT_FILE"))
(goto-char (point-min))
(forward-line (1- (string-to-number (getenv "GWT_LINE"))))
(move-to-column (string-to-number (getenv "GWT_COLUMN")))

(pcase gwt-transport
  ('eglot
   (require 'eglot)
   (setq eglot-server-programs `((python-mode . ,(ghostwright-eglot-contact)))
         eglot-sync-connect t)
   (apply #'eglot (eglot--guess-contact))
   (ghostwright-mode 1))
  ('lsp
   (require 'lsp-mode)
   (setq lsp-session-file (expand-file-name "lsp-session" (getenv "GWT_HOME"))
         lsp-auto-guess-root t lsp-guess-root-without-session t lsp-enable-file-watchers nil
         lsp-restart 'ignore lsp-keep-workspace-alive nil lsp-enable-snippet nil
         lsp-modeline-code-actions-enable nil lsp-modeline-diagnostics-enable nil
         lsp-headerline-breadcrumb-enable nil lsp-lens-enable nil lsp-diagnostics-provider :none
         lsp-completion-provider :none lsp-enable-on-type-formatting nil
         lsp-enable-symbol-highlighting nil lsp-signature-auto-activate nil lsp-eldoc-enable-hover nil)
   (ghostwright-lsp-register)
   (lsp-register-client
    (make-lsp-client :new-connection (lsp-stdio-connection
                                      (lambda () (split-string (getenv "GWT_MAIN_SERVER") " ")))
                     :major-modes '(python-mode) :server-id 'gwt-main :priority 10))
   (ghostwright-mode 1)
   (lsp))
  (_ (ghostwright-mode 1)))

(defun gwt-signal-ready ()
  "Write GWT_READY once the transport serves the buffer and the backend is up."
  (if (and (ghostwright--current-transport)
           (eq (car (ghostwright--current-transport)) gwt-transport))
      (ghostwright--fetch-status
       (ghostwright--current-transport)
       (lambda (status)
         (if (eq (ghostwright--get status :backendReady) t)
             (with-temp-file (getenv "GWT_READY") (insert "ready"))
           (run-with-timer 0.2 nil #'gwt-signal-ready))))
    (run-with-timer 0.2 nil #'gwt-signal-ready)))

(when (eq gwt-transport 'standalone)
  (ghostwright--standalone-open))
(run-with-timer 0.2 nil #'gwt-signal-ready)

(provide 'feedback-driver)
;;; feedback-driver.el ends here
