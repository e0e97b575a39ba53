;;; packages.el --- ghostwright layer packages file for Spacemacs -*- lexical-binding: t; -*-

;;; Commentary:

;; The ghostwright package comes from the ghostwright checkout
;; (config.el puts its elisp/ folder on the load path: `:location
;; site').  ghostwright.el, the UI, loads its transports (the own
;; connection, eglot's, lsp-mode's); where lsp-mode runs,
;; ghostwright-lsp.el runs ghostwright as an add-on client beside each
;; buffer's main language server.

;;; Code:

(defconst ghostwright-packages
  '((ghostwright :location site)
    lsp-mode)
  "Packages of the ghostwright layer.")

(defun ghostwright/init-ghostwright ()
  "Load ghostwright, turn it on in code buffers and bind its keys."
  (use-package ghostwright
    :defer t
    :commands (ghostwright-mode global-ghostwright-mode ghostwright-complete
               ghostwright-status ghostwright-stats ghostwright-shutdown ghostwright-lsp-register)
    :init
    (progn
      (setq ghostwright-server-command ghostwright-layer-server-command
            ghostwright-initialization-options ghostwright-layer-initialization-options
            ghostwright-transport ghostwright-layer-transport)
      (when ghostwright-layer-enable-in-prog-modes
        (add-hook 'prog-mode-hook #'ghostwright-mode))
      (spacemacs|add-toggle ghostwright
        :mode ghostwright-mode
        :documentation "Streaming ghost-text completion from a local model."
        :evil-leader "tG")
      (spacemacs/declare-prefix "aG" "ghostwright")
      (spacemacs/set-leader-keys
        "aGc" #'ghostwright-complete
        "aGs" #'ghostwright-status
        "aGS" #'ghostwright-stats
        "aGq" #'ghostwright-shutdown
        "aGt" #'spacemacs/toggle-ghostwright))
    :config
    (progn
      (ghostwright//bind-active-keys)
      (ghostwright//keep-keys-above-evil))))

(defun ghostwright/post-init-lsp-mode ()
  "Register ghostwright as an lsp-mode add-on client, unless it stays standalone."
  (unless (eq ghostwright-layer-transport 'standalone)
    (with-eval-after-load 'lsp-mode
      (require 'ghostwright-lsp)
      (ghostwright-lsp-register))))

;;; packages.el ends here
